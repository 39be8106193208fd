/**
 * The embedded stack, bootstrapped with Strata's resources, plus what planner/tick/runner tests
 * need around it: writing segments (which fires real S3 notifications), taking the events the
 * bucket sent, draining the FIFO jobs queue, and reading a shard's state.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createS3Client, createSqsClient, type Env } from '../../lib/aws/clients.js';
import { strataResources } from '../../lib/aws/resources.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { SqsMessageQueue } from '../../lib/aws/sqs.js';
import { bootstrapResources, type BootstrappedResources } from '../../lib/local/bootstrap.js';
import { toRecord } from '../../lib/local/runner.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../lib/local/stack.js';
import { readShardState } from '../../lib/metastore/cas.js';
import type { ShardState } from '../../lib/metastore/types.js';
import { parseJobMessage, type JobMessage } from '../../lib/plan/dispatch.js';
import { segmentKey } from '../../lib/segment/keys.js';
import { segmentId } from './planner-fixtures.js';

export interface PlannerStack {
  stack: EmbeddedStack;
  /** Environment for functions/planner.ts and functions/tick.ts pointed at this stack. */
  env: Env;
  s3: S3Client;
  sqs: SQSClient;
  resources: BootstrappedResources;
  store: S3ObjectStore;
  jobs: SqsMessageQueue;
  events: SqsMessageQueue;
  stop(): Promise<void>;
}

export async function startPlannerStack(): Promise<PlannerStack> {
  const stack = await startEmbeddedStack({ port: 0 });
  const base: Env = {
    AWS_ENDPOINT_URL: stack.endpoint,
    AWS_REGION: stack.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  };
  const s3 = createS3Client(base);
  const sqs = createSqsClient(base);
  const resources = await bootstrapResources({ s3, sqs }, strataResources(`t${randomUUID().slice(0, 8)}`));
  const env: Env = { ...base, STRATA_BUCKET: resources.bucket, STRATA_JOBS_QUEUE_URL: resources.jobsQueue.url, STRATA_LOG_LEVEL: 'error' };
  return {
    stack,
    env,
    s3,
    sqs,
    resources,
    store: new S3ObjectStore(s3, resources.bucket),
    jobs: new SqsMessageQueue(sqs, resources.jobsQueue.url),
    events: new SqsMessageQueue(sqs, resources.eventsQueue.url),
    async stop() {
      s3.destroy();
      sqs.destroy();
      await stack.stop();
    },
  };
}

/** Writes segment objects (their notifications go to the events queue); returns their ids. */
export async function putSegments(stack: PlannerStack, tenant: string, shard: number, first: number, count: number, size = 100): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => segmentId(first + i));
  await Promise.all(ids.map((id) => stack.store.put(segmentKey(tenant, shard, id), new Uint8Array(size))));
  return ids;
}

/** Takes every message on the events queue (the bucket's notifications), deleting them. */
export async function takeEvents(stack: PlannerStack): Promise<SQSRecord[]> {
  const records: SQSRecord[] = [];
  for (;;) {
    const messages = await stack.events.receive({ maxMessages: 10, waitSeconds: 0 });
    if (messages.length === 0) return records;
    await stack.events.deleteBatch(messages.map((m) => m.receiptHandle));
    records.push(
      ...messages.map((m) =>
        toRecord({ MessageId: m.messageId, ReceiptHandle: m.receiptHandle, Body: m.body, Attributes: m.attributes }, stack.resources.eventsQueue.arn, 'us-east-1'),
      ),
    );
  }
}

export function sqsEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}

export interface ReceivedJob extends JobMessage {
  deduplicationId: string | undefined;
  groupId: string | undefined;
}

/** Receives and deletes everything on the jobs queue (FIFO hands out one message per group per call). */
export async function drainJobs(stack: PlannerStack): Promise<ReceivedJob[]> {
  const jobs: ReceivedJob[] = [];
  for (;;) {
    const messages = await stack.jobs.receive({ maxMessages: 10, waitSeconds: 0 });
    if (messages.length === 0) return jobs;
    await stack.jobs.deleteBatch(messages.map((m) => m.receiptHandle));
    for (const m of messages) {
      jobs.push({ ...parseJobMessage(m.body), deduplicationId: m.attributes['MessageDeduplicationId'], groupId: m.attributes['MessageGroupId'] });
    }
  }
}

export async function purgeEvents(stack: PlannerStack): Promise<void> {
  await stack.sqs.send(new PurgeQueueCommand({ QueueUrl: stack.resources.eventsQueue.url }));
}

export async function shardState(stack: PlannerStack, tenant: string, shard: number): Promise<{ state: ShardState; etag: string | undefined }> {
  const { state, etag } = await readShardState(stack.store, tenant, shard);
  return { state, etag };
}
