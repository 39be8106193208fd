/**
 * Typed errors of planning and dispatch. The planner handler maps them: `retryable` → the message
 * goes back to SQS; otherwise it is bad input and is quarantined or fails into the DLQ.
 */

export class PlanError extends Error {
  override name = 'PlanError';
  readonly retryable: boolean = false;
}

/** A limit or environment variable is invalid; raised at start-up, never per message. */
export class PlanConfigError extends PlanError {
  override name = 'PlanConfigError';
}

/** An SQS message on the events queue that is not an S3 event notification at all. */
export class MalformedEventMessageError extends PlanError {
  override name = 'MalformedEventMessageError';

  constructor(
    message: string,
    readonly messageId: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A job message on the jobs queue that cannot be read (compactor side). */
export class MalformedJobMessageError extends PlanError {
  override name = 'MalformedJobMessageError';
}

/** Jobs were committed but could not be sent; the message is retried and the send repeated (deduplicated). */
export class DispatchError extends PlanError {
  override name = 'DispatchError';
  override readonly retryable = true;

  constructor(
    message: string,
    readonly tenant: string,
    readonly shard: number,
    readonly jobIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An object could not be moved to quarantine (S3 failed); retried with the message. */
export class QuarantineError extends PlanError {
  override name = 'QuarantineError';
  override readonly retryable = true;

  constructor(
    message: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
