/**
 * `MessageQueue` over the AWS SDK v3 SQS client: batching to SQS's limits, retrying entries a
 * batch call reports as failed, and errors that name the queue and the entries left unsent.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type BatchResultErrorEntry,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { MessageQueue, OutgoingMessage, ReceiveOptions, ReceivedMessage } from './contract.js';
import { AwsAccessError, DeleteBatchError, SendBatchError, describeCause, type EntryFailure } from './errors.js';

/** SQS batch calls take at most 10 entries. */
export const SQS_BATCH_SIZE = 10;
/** Total payload of one SendMessageBatch; 256 KiB is the limit on LocalStack and older AWS regions. */
export const SQS_BATCH_BYTES = 256 * 1024;

export interface SqsMessageQueueOptions {
  /** Tries per entry that SQS reports as failed without a sender fault, the first included. Default 4. */
  maxAttempts?: number;
  /** Delay before the first retry; doubled on each further one, with jitter. Default 100 ms. */
  baseDelayMs?: number;
}

export class SqsMessageQueue implements MessageQueue {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly client: SQSClient,
    readonly url: string,
    options: SqsMessageQueueOptions = {},
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 100;
  }

  /**
   * Stops at the first batch that still has failures, so that later messages (possibly of the same
   * FIFO group) are not sent past a failed one; the error lists both the failed and the unsent ids.
   */
  async sendBatch(messages: readonly OutgoingMessage[]): Promise<void> {
    const batches = chunkMessages(messages);
    for (const [index, batch] of batches.entries()) {
      const failures = await this.sendWithRetries(batch);
      if (failures.length > 0) {
        const unsentIds = batches.slice(index + 1).flatMap((rest) => rest.map((message) => message.id));
        throw new SendBatchError(this.url, failures, unsentIds);
      }
    }
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    try {
      const response = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.url,
          MaxNumberOfMessages: options.maxMessages ?? SQS_BATCH_SIZE,
          WaitTimeSeconds: options.waitSeconds ?? 20,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      return (response.Messages ?? []).map((message) => ({
        messageId: message.MessageId ?? '',
        receiptHandle: message.ReceiptHandle ?? '',
        body: message.Body ?? '',
        attributes: definedValues(message.Attributes ?? {}),
      }));
    } catch (error) {
      throw this.wrap('ReceiveMessage', error);
    }
  }

  async deleteBatch(receiptHandles: readonly string[]): Promise<void> {
    const failures: EntryFailure[] = [];
    // Deletes are independent: try every batch and report everything left behind.
    for (let start = 0; start < receiptHandles.length; start += SQS_BATCH_SIZE) {
      const batch = receiptHandles.slice(start, start + SQS_BATCH_SIZE);
      let response;
      try {
        response = await this.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.url,
            Entries: batch.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
          }),
        );
      } catch (error) {
        throw this.wrap('DeleteMessageBatch', error);
      }
      failures.push(...(response.Failed ?? []).map((entry) => entryFailure(entry, batch)));
    }
    if (failures.length > 0) throw new DeleteBatchError(this.url, failures);
  }

  async changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.url,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: timeoutSeconds,
        }),
      );
    } catch (error) {
      throw this.wrap('ChangeMessageVisibility', error);
    }
  }

  private async sendWithRetries(batch: readonly OutgoingMessage[]): Promise<EntryFailure[]> {
    let pending = batch;
    const permanent: EntryFailure[] = [];
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.url, Entries: pending.map(toEntry) }),
        );
      } catch (error) {
        throw this.wrap('SendMessageBatch', error);
      }
      const failed = (response.Failed ?? []).map((entry) => ({ entry, failure: entryFailure(entry, pending.map((m) => m.id)) }));
      // A sender fault (bad body, bad group id, …) fails the same way on every retry.
      permanent.push(...failed.filter(({ failure }) => failure.senderFault).map(({ failure }) => failure));
      const transient = failed.filter(({ failure }) => !failure.senderFault);
      if (transient.length === 0) return permanent;
      if (attempt >= this.maxAttempts) return [...permanent, ...transient.map(({ failure }) => failure)];
      pending = transient.map(({ entry }) => pending[Number(entry.Id)]).filter((m) => m !== undefined);
      await sleep(backoff(this.baseDelayMs, attempt));
    }
  }

  private wrap(operation: string, error: unknown): AwsAccessError {
    return new AwsAccessError(`${operation} on ${this.url} failed: ${describeCause(error)}`, {
      cause: error,
      operation,
      queueUrl: this.url,
    });
  }
}

/** The URL of a queue in the client's account and region, with an actionable error if it does not exist. */
export async function queueUrlByName(client: SQSClient, name: string): Promise<string> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await client.send(new GetQueueUrlCommand({ QueueName: name })));
  } catch (error) {
    const missing =
      error instanceof Error &&
      (error.name === 'QueueDoesNotExist' || error.name === 'AWS.SimpleQueueService.NonExistentQueue');
    const message = missing
      ? `SQS queue "${name}" does not exist: check the stage, region and endpoint, or deploy the stack`
      : `could not look up the URL of SQS queue "${name}": ${describeCause(error)}`;
    throw new AwsAccessError(message, { cause: error, operation: 'GetQueueUrl', queueUrl: name });
  }
  if (url === undefined) {
    throw new AwsAccessError(`GetQueueUrl returned no URL for SQS queue "${name}"`, { operation: 'GetQueueUrl' });
  }
  return url;
}

/** Splits into SendMessageBatch calls within SQS's entry-count and total-size limits. */
function chunkMessages(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const batches: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body, 'utf8');
    if (current.length === SQS_BATCH_SIZE || (current.length > 0 && bytes + size > SQS_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

// Entry ids are positions in the request, so that callers' ids need not follow SQS's id syntax
// (alphanumerics, `-`, `_`, at most 80 characters).
function toEntry(message: OutgoingMessage, index: number): SendMessageBatchRequestEntry {
  const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: message.body };
  if (message.groupId !== undefined) entry.MessageGroupId = message.groupId;
  if (message.deduplicationId !== undefined) entry.MessageDeduplicationId = message.deduplicationId;
  if (message.delaySeconds !== undefined) entry.DelaySeconds = message.delaySeconds;
  return entry;
}

function entryFailure(entry: BatchResultErrorEntry, idsByPosition: readonly string[]): EntryFailure {
  return {
    id: idsByPosition[Number(entry.Id)] ?? `entry ${entry.Id ?? '?'}`,
    code: entry.Code ?? 'Unknown',
    message: entry.Message ?? '',
    senderFault: entry.SenderFault ?? false,
  };
}

function definedValues(record: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((pair): pair is [string, string] => pair[1] !== undefined));
}

function backoff(baseDelayMs: number, attempt: number): number {
  const ceiling = baseDelayMs * 2 ** (attempt - 1);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}

export interface QueueDepth {
  /** Messages waiting to be received. */
  visible: number;
  /** Messages received and not yet deleted or returned (in flight). */
  inFlight: number;
}

export async function queueDepth(client: SQSClient, url: string): Promise<QueueDepth> {
  try {
    const { Attributes = {} } = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(Attributes.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) };
  } catch (error) {
    throw new AwsAccessError(`could not read the depth of ${url}: ${describeCause(error)}`, { cause: error, operation: 'GetQueueAttributes', queueUrl: url });
  }
}
