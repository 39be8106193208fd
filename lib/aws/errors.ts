/**
 * Errors raised by the S3 and SQS wrappers: what was being done, to which bucket/key or queue,
 * and the SDK error as `cause`, so that a log line alone says where to look.
 */

export interface AwsAccessErrorOptions {
  cause?: unknown;
  operation?: string;
  bucket?: string;
  key?: string;
  queueUrl?: string;
}

export class AwsAccessError extends Error {
  readonly operation: string | undefined;
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly queueUrl: string | undefined;
  /** The SDK error's name (e.g. `AccessDenied`, `SlowDown`), when there is one. */
  readonly code: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(message: string, options: AwsAccessErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.operation = options.operation;
    this.bucket = options.bucket;
    this.key = options.key;
    this.queueUrl = options.queueUrl;
    this.code = errorName(options.cause);
    this.httpStatus = httpStatusOf(options.cause);
  }
}

/** An AWS_* setting that cannot be used; the message names the variable and what it must be. */
export class AwsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsConfigError';
  }
}

export interface KeyFailure {
  key: string;
  code: string;
  message: string;
}

/** Some keys of a DeleteObjects call were not deleted; `failures` lists each with S3's reason. */
export class BatchDeleteError extends AwsAccessError {
  readonly failures: readonly KeyFailure[];

  constructor(bucket: string, failures: readonly KeyFailure[]) {
    super(
      `could not delete ${failures.length} object(s) from s3://${bucket}: ${summarize(failures.map((f) => `${f.key} (${f.code}: ${f.message})`))}`,
      { operation: 'DeleteObjects', bucket },
    );
    this.failures = failures;
  }
}

export interface EntryFailure {
  /** The caller's id: `OutgoingMessage.id`, or the receipt handle for deletes. */
  id: string;
  code: string;
  message: string;
  senderFault: boolean;
}

/**
 * Some messages were still not accepted by SQS after the retries. `unsentIds` are the messages of
 * later batches, which were not attempted; everything else in the call was sent.
 */
export class SendBatchError extends AwsAccessError {
  readonly failures: readonly EntryFailure[];
  readonly unsentIds: readonly string[];

  constructor(queueUrl: string, failures: readonly EntryFailure[], unsentIds: readonly string[] = []) {
    const unsent = unsentIds.length > 0 ? `; ${unsentIds.length} later message(s) were not attempted` : '';
    super(
      `SQS did not accept ${failures.length} message(s) on ${queueUrl}: ${summarize(failures.map(describeEntry))}${unsent}`,
      { operation: 'SendMessageBatch', queueUrl },
    );
    this.failures = failures;
    this.unsentIds = unsentIds;
  }
}

/** Some receipt handles could not be deleted (typically expired: the message will be received again). */
export class DeleteBatchError extends AwsAccessError {
  readonly failures: readonly EntryFailure[];

  constructor(queueUrl: string, failures: readonly EntryFailure[]) {
    super(
      `could not delete ${failures.length} message(s) from ${queueUrl}: ${summarize(failures.map(describeEntry))}`,
      { operation: 'DeleteMessageBatch', queueUrl },
    );
    this.failures = failures;
  }
}

export function errorName(error: unknown): string | undefined {
  if (error instanceof Error) return error.name;
  return undefined;
}

export function httpStatusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number' ? metadata.httpStatusCode : undefined;
}

/** `Name: message` of an SDK error, for the wrapping error's message. */
export function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const status = httpStatusOf(error);
    return `${error.name}${status === undefined ? '' : ` (HTTP ${status})`}: ${error.message}`;
  }
  return String(error);
}

function describeEntry(failure: EntryFailure): string {
  return `${failure.id} (${failure.code}${failure.senderFault ? ', sender fault' : ''}: ${failure.message})`;
}

// A batch can fail as a whole; keep the message readable and leave the full list on `failures`.
function summarize(items: readonly string[], limit = 10): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown}, … and ${items.length - limit} more` : shown;
}
