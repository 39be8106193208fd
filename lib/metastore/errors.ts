/**
 * Typed errors of the shard metastore. `retryable` tells the handler what to do: a retryable error
 * leaves the message to SQS (batchItemFailures); the others will fail the same way again and end
 * in the DLQ, where status shows them.
 */

export class MetastoreError extends Error {
  override name = 'MetastoreError';
  readonly retryable: boolean = false;

  constructor(
    message: string,
    readonly tenant: string,
    readonly shard: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The compare-and-swap lost to other writers on every attempt; SQS retries the message later. */
export class StateConflictError extends MetastoreError {
  override name = 'StateConflictError';
  override readonly retryable = true;

  constructor(
    tenant: string,
    shard: number,
    readonly attempts: number,
  ) {
    super(`state of ${tenant}/${shard} changed under ${attempts} consecutive attempts; giving up for now`, tenant, shard);
  }
}

/** The state object is not valid JSON or breaks the schema. Needs an operator; never overwritten. */
export class StateCorruptError extends MetastoreError {
  override name = 'StateCorruptError';

  constructor(
    message: string,
    tenant: string,
    shard: number,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(`${key}: ${message}`, tenant, shard, options);
  }
}

/** Written by a newer Strata; this one must not rewrite it. Retryable: the newer code will take the message. */
export class UnsupportedStateVersionError extends StateCorruptError {
  override name = 'UnsupportedStateVersionError';
  override readonly retryable = true;
}

/** A transition was asked for something the state cannot do (a caller bug, not a race). */
export class InvalidTransitionError extends MetastoreError {
  override name = 'InvalidTransitionError';
}
