/**
 * The local stand-in for Lambda's SQS event source mapping: polls a queue and invokes the very
 * handler Lambda would, with the same event and the same consequences.
 *
 * - Batches: up to `batchSize` messages; with `batchingWindowMs` > 0 it keeps polling until the
 *   batch is full, the window has passed since the first message, or the payload nears 6 MB.
 *   Lambda's limits apply: above 10 only with a window, and no window on a FIFO queue.
 * - The event is Lambda's `SQSEvent`: `Records[]` with messageId, receiptHandle, body, attributes
 *   (ApproximateReceiveCount, SentTimestamp, …, MessageGroupId for FIFO), md5OfBody, eventSource,
 *   eventSourceARN, awsRegion.
 * - Outcome (ReportBatchItemFailures): a thrown error or a timeout fails the whole batch; returned
 *   `batchItemFailures` fail those messages (an unknown or empty identifier fails the whole batch);
 *   every other message is deleted. Failed messages are left alone and reappear when their
 *   visibility timeout expires, and the queue's redrive policy moves one to the DLQ once its
 *   receive count passes maxReceiveCount — that is the queue's doing (the emulator's, as on AWS).
 * - `concurrency` pollers run at once. FIFO order per message group holds because SQS hands out
 *   a group's messages only when none of its earlier messages is in flight, and a batch's records
 *   keep the order they were received in.
 *
 * Lambda types are used here because this module *is* the Lambda side of the local stack.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { silentLogger, type Logger } from '../log/logger.js';
import { eventSources, functionTimeoutSeconds } from '../aws/resources.js';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined | null>;

export interface QueueRunnerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: SqsHandler;
  /** Default 10. Above 10 needs a batching window, as on Lambda (FIFO: at most 10). */
  batchSize?: number;
  /** MaximumBatchingWindowInSeconds, in ms. Default 0: invoke with what one poll returns. */
  batchingWindowMs?: number;
  /** Batches in flight at once. Default 1. */
  concurrency?: number;
  /** The function timeout: a longer invocation counts as a failed batch. Default 30 s. */
  timeoutMs?: number;
  /** Long-poll wait of each ReceiveMessage. Default 1 s, so that stop() is prompt (Lambda uses 20). */
  pollWaitSeconds?: number;
  /** Honour batchItemFailures (the ReportBatchItemFailures response type). Default true. */
  reportBatchItemFailures?: boolean;
  functionName?: string;
  logger?: Logger;
}

/** What Lambda bills an invocation for: its count and its duration, rounded up to the millisecond. */
export interface InvocationStats {
  invocations: number;
  /** Sum of the invocations' durations, each rounded up to the next millisecond. */
  billedMs: number;
}

export function newInvocationStats(): InvocationStats {
  return { invocations: 0, billedMs: 0 };
}

export function recordInvocation(stats: InvocationStats, durationMs: number): void {
  stats.invocations++;
  stats.billedMs += Math.max(1, Math.ceil(durationMs));
}

export interface RunnerStats extends InvocationStats {
  messages: number;
  deleted: number;
  failedMessages: number;
  failedBatches: number;
  /** ReceiveMessage calls, and how many of them returned nothing (idle polling). */
  receives: number;
  emptyReceives: number;
}

export interface QueueRunner {
  readonly stats: Readonly<RunnerStats>;
  /** Stops polling, lets the batches in flight finish, and resolves when they have. */
  stop(): Promise<void>;
}

/** Lambda's limit on an invocation's payload. */
const maxPayloadBytes = 6 * 1024 * 1024;

/** The runner settings of a deployed function: its event source mapping and timeout, as serverless.yml has them. */
export function lambdaRunnerSettings(
  functionName: keyof typeof eventSources,
): Pick<QueueRunnerOptions, 'batchSize' | 'batchingWindowMs' | 'concurrency' | 'timeoutMs' | 'reportBatchItemFailures' | 'functionName'> {
  const source = eventSources[functionName];
  return {
    batchSize: source.batchSize,
    batchingWindowMs: source.maximumBatchingWindowSeconds * 1000,
    concurrency: source.maximumConcurrency,
    timeoutMs: functionTimeoutSeconds[functionName] * 1000,
    reportBatchItemFailures: source.reportBatchItemFailures,
    functionName,
  };
}

export async function startQueueRunner(options: QueueRunnerOptions): Promise<QueueRunner> {
  const { sqs, queueUrl, handler } = options;
  const logger = (options.logger ?? silentLogger).child({ queueUrl });
  const batchSize = options.batchSize ?? 10;
  const windowMs = options.batchingWindowMs ?? 0;
  const fifo = queueUrl.endsWith('.fifo');
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new RangeError(`batchSize must be 1 to 10000, got ${batchSize}`);
  if (batchSize > 10 && (fifo || windowMs <= 0)) throw new RangeError('a batchSize above 10 needs a standard queue and a batching window, as on Lambda');
  if (fifo && windowMs > 0) throw new RangeError('Lambda does not support a batching window on FIFO queues');
  const concurrency = options.concurrency ?? 1;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pollWaitSeconds = options.pollWaitSeconds ?? 1;
  const reportFailures = options.reportBatchItemFailures ?? true;
  const functionName = options.functionName ?? 'local-function';

  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.['QueueArn'] ?? `arn:aws:sqs:${await regionOf(sqs)}:000000000000:${queueUrl.split('/').pop()}`;
  const region = queueArn.split(':')[3] ?? (await regionOf(sqs));
  const stats: RunnerStats = { ...newInvocationStats(), messages: 0, deleted: 0, failedMessages: 0, failedBatches: 0, receives: 0, emptyReceives: 0 };
  let stopping = false;

  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    stats.receives++;
    if ((response.Messages ?? []).length === 0) stats.emptyReceives++;
    return response.Messages ?? [];
  };

  const collect = async (): Promise<Message[]> => {
    const batch = await receive(batchSize, pollWaitSeconds);
    if (batch.length === 0 || windowMs <= 0) return batch;
    const deadline = Date.now() + windowMs;
    let bytes = batch.reduce((sum, message) => sum + Buffer.byteLength(message.Body ?? ''), 0);
    while (batch.length < batchSize && bytes < maxPayloadBytes / 2 && !stopping) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const more = await receive(batchSize - batch.length, Math.min(20, Math.floor(remaining / 1000)));
      if (more.length === 0 && remaining < 1000) await sleep(Math.min(50, remaining));
      for (const message of more) {
        // A window longer than the visibility timeout receives a message again: keep the newest
        // receipt handle (the old one no longer deletes it), once.
        const earlier = batch.findIndex((m) => m.MessageId === message.MessageId);
        if (earlier >= 0) batch.splice(earlier, 1);
        batch.push(message);
      }
      bytes += more.reduce((sum, message) => sum + Buffer.byteLength(message.Body ?? ''), 0);
    }
    return batch;
  };

  const invoke = async (batch: Message[]): Promise<void> => {
    const event: SQSEvent = { Records: batch.map((message) => toRecord(message, queueArn, region)) };
    const context = lambdaContext(functionName, region, timeoutMs);
    const ids = new Set(event.Records.map((record) => record.messageId));
    stats.messages += batch.length;
    let failed: Set<string>;
    const started = performance.now();
    try {
      const response = await withTimeout(handler(event, context), timeoutMs);
      failed = reportFailures ? failedIds(response, ids) : new Set();
    } catch (error) {
      logger.error('invocation failed, the whole batch will be retried', { functionName, messages: batch.length, error });
      failed = ids;
    }
    recordInvocation(stats, performance.now() - started);
    if (failed.size > 0) {
      stats.failedBatches++;
      stats.failedMessages += failed.size;
      logger.warn('messages failed, left for redelivery', { functionName, failed: failed.size, messages: batch.length });
    }
    const done = event.Records.filter((record) => !failed.has(record.messageId)).map((record) => record.receiptHandle);
    if (done.length > 0) await deleteMessages(sqs, queueUrl, done, logger);
    stats.deleted += done.length;
  };

  const poller = async (): Promise<void> => {
    while (!stopping) {
      let batch: Message[];
      try {
        batch = await collect();
      } catch (error) {
        logger.error('receive failed', { error });
        await sleep(1000);
        continue;
      }
      // Received messages are invisible until handled: handle them even when stopping.
      if (batch.length > 0) await invoke(batch);
    }
  };

  const pollers = Array.from({ length: concurrency }, () => poller());
  logger.info('queue runner started', { functionName, batchSize, batchingWindowMs: windowMs, concurrency });
  return {
    stats,
    async stop() {
      stopping = true;
      await Promise.all(pollers);
      logger.info('queue runner stopped', { functionName, ...stats });
    },
  };
}

/** Which messages failed, by Lambda's rules for a ReportBatchItemFailures response. */
export function failedIds(response: SQSBatchResponse | void | undefined | null, ids: ReadonlySet<string>): Set<string> {
  const failures = response?.batchItemFailures;
  if (failures === undefined || failures === null || failures.length === 0) return new Set();
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    // Lambda treats an empty, null or unknown identifier as a failure of the whole batch.
    if (typeof id !== 'string' || !ids.has(id)) return new Set(ids);
    failed.add(id);
  }
  return failed;
}

export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const body = message.Body ?? '';
  const attributes = message.Attributes ?? {};
  const recordAttributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: attributes['ApproximateReceiveCount'] ?? '1',
    SentTimestamp: attributes['SentTimestamp'] ?? String(Date.now()),
    SenderId: attributes['SenderId'] ?? '000000000000',
    ApproximateFirstReceiveTimestamp: attributes['ApproximateFirstReceiveTimestamp'] ?? String(Date.now()),
  };
  for (const name of ['SequenceNumber', 'MessageGroupId', 'MessageDeduplicationId', 'AWSTraceHeader'] as const) {
    const value = attributes[name];
    if (value !== undefined) recordAttributes[name] = value;
  }
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: recordAttributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** A Lambda `Context` for a local invocation. */
export function lambdaContext(functionName: string, region: string, timeoutMs: number): Context {
  const requestId = randomUUID();
  return contextOf({
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    deadlineMs: Date.now() + timeoutMs,
  });
}

/**
 * A `Context` as plain data, to hand an invocation to another thread (`strata dev` invokes each
 * function in a worker thread of its own): the deadline instead of the methods.
 */
export type PortableContext = Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed'> & { deadlineMs: number };

export function portableContext(context: Context): PortableContext {
  const { getRemainingTimeInMillis: _remaining, done: _done, fail: _fail, succeed: _succeed, ...fields } = context;
  return { ...fields, deadlineMs: Date.now() + context.getRemainingTimeInMillis() };
}

export function contextOf(portable: PortableContext): Context {
  const { deadlineMs, ...fields } = portable;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported by the local runner');
  };
  return { ...fields, getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()), done: unsupported, fail: unsupported, succeed: unsupported };
}

export class InvocationTimeoutError extends Error {
  override name = 'InvocationTimeoutError';
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvocationTimeoutError(`Task timed out after ${(ms / 1000).toFixed(2)} seconds`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function deleteMessages(sqs: SQSClient, queueUrl: string, receiptHandles: readonly string[], logger: Logger): Promise<void> {
  for (let start = 0; start < receiptHandles.length; start += 10) {
    const batch = receiptHandles.slice(start, start + 10);
    try {
      const response = await sqs.send(
        new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })) }),
      );
      // As on Lambda: a message that cannot be deleted is simply received again later.
      if ((response.Failed ?? []).length > 0) logger.warn('some messages could not be deleted', { failed: response.Failed?.length });
    } catch (error) {
      logger.error('delete failed; the messages will be received again', { error });
    }
  }
}

async function regionOf(sqs: SQSClient): Promise<string> {
  return (await sqs.config.region()) ?? 'us-east-1';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
