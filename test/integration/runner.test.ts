/**
 * The local runner and scheduler against the embedded stack's SQS: partial batch failures, a
 * throwing handler, the redrive policy's DLQ, the batching window, FIFO order per group, the
 * planner handler end to end, and the scheduled event shape.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ScheduledEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { createPlannerHandler } from '../../functions/planner.js';
import { silentLogger } from '../../lib/log/logger.js';
import { startQueueRunner, type SqsHandler } from '../../lib/local/runner.js';
import { startSchedule } from '../../lib/local/scheduler.js';
import { assertEachSegmentInExactlyOneJob } from '../helpers/planner-assert.js';
import { drainJobs, putSegments, shardState, startPlannerStack, type PlannerStack } from '../helpers/planner-stack.js';

let stack: PlannerStack;

before(async () => {
  stack = await startPlannerStack();
});
after(async () => {
  await stack.stop();
});

async function createQueue(options: { fifo?: boolean; visibilityTimeout?: number; maxReceiveCount?: number } = {}) {
  const suffix = options.fifo ? '.fifo' : '';
  const name = `runner-${randomUUID().slice(0, 8)}`;
  const attributes = (extra: Record<string, string>) => ({
    ...(options.fifo ? { FifoQueue: 'true' } : {}),
    VisibilityTimeout: String(options.visibilityTimeout ?? 1),
    ...extra,
  });
  const dlq = await stack.sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq${suffix}`, Attributes: attributes({}) }));
  const dlqArn = (await stack.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  const redrive: Record<string, string> = options.maxReceiveCount === undefined ? {} : { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }) };
  const queue = await stack.sqs.send(new CreateQueueCommand({ QueueName: `${name}${suffix}`, Attributes: attributes(redrive) }));
  return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

async function send(url: string, bodies: readonly string[], groupOf?: (body: string) => string): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await stack.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(start, start + 10).map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          ...(groupOf ? { MessageGroupId: groupOf(body), MessageDeduplicationId: body } : {}),
        })),
      }),
    );
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function queueDepth(url: string): Promise<number> {
  const { Attributes } = await stack.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.['ApproximateNumberOfMessages'] ?? 0) + Number(Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0);
}

/** A handler that records every record it gets, and answers with `decide`. */
function recordingHandler(decide: (event: SQSEvent, call: number) => ReturnType<SqsHandler>) {
  const seen: SQSRecord[] = [];
  const batches: string[][] = [];
  let calls = 0;
  const handler: SqsHandler = async (event) => {
    seen.push(...event.Records);
    batches.push(event.Records.map((r) => r.body));
    return decide(event, ++calls);
  };
  return { handler, seen, batches, count: (body: string) => seen.filter((r) => r.body === body).length };
}

describe('local runner', () => {
  test('runner: the event has Lambda’s SQS shape', async () => {
    const { url } = await createQueue();
    const h = recordingHandler(async () => undefined);
    const runner = await startQueueRunner({ sqs: stack.sqs, queueUrl: url, handler: h.handler });
    await send(url, ['hello']);
    await waitFor(() => h.seen.length === 1);
    await runner.stop();
    const [record] = h.seen;
    assert.equal(record?.eventSource, 'aws:sqs');
    assert.match(record?.eventSourceARN ?? '', /^arn:aws:sqs:us-east-1:\d+:runner-/);
    assert.equal(record?.attributes.ApproximateReceiveCount, '1');
    assert.ok(record?.attributes.SentTimestamp);
    assert.ok(record?.receiptHandle);
    assert.equal(record?.md5OfBody, '5d41402abc4b2a76b9719d911017c592');
  });

  test('runner: a partial batch failure redelivers only the failed message', async () => {
    const { url } = await createQueue({ visibilityTimeout: 1 });
    const h = recordingHandler(async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'b' && r.attributes.ApproximateReceiveCount === '1').map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const runner = await startQueueRunner({ sqs: stack.sqs, queueUrl: url, handler: h.handler });
    await send(url, ['a', 'b', 'c']);
    await waitFor(() => h.count('b') === 2, 10_000, 'the redelivery of b');
    await waitFor(async () => (await queueDepth(url)) === 0);
    await runner.stop();
    assert.deepEqual([h.count('a'), h.count('b'), h.count('c')], [1, 2, 1]);
    assert.deepEqual(runner.stats.failedMessages, 1);
  });

  test('runner: a throwing handler fails the whole batch', async () => {
    const { url } = await createQueue({ visibilityTimeout: 1 });
    const h = recordingHandler(async (_event, call) => {
      if (call === 1) throw new Error('boom');
      return undefined;
    });
    await send(url, ['x', 'y']);
    const runner = await startQueueRunner({ sqs: stack.sqs, queueUrl: url, handler: h.handler, batchingWindowMs: 300 });
    await waitFor(() => h.count('x') === 2 && h.count('y') === 2, 10_000, 'both redelivered');
    await runner.stop();
    assert.deepEqual(h.batches[0]?.sort(), ['x', 'y']);
  });

  test('runner: a poison message reaches the DLQ after maxReceiveCount (the queue’s redrive policy)', async () => {
    const { url, dlqUrl } = await createQueue({ visibilityTimeout: 1, maxReceiveCount: 2 });
    const h = recordingHandler(async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const runner = await startQueueRunner({ sqs: stack.sqs, queueUrl: url, handler: h.handler });
    await send(url, ['poison', 'fine']);
    await waitFor(async () => (await queueDepth(dlqUrl)) === 1, 10_000, 'the DLQ');
    await runner.stop();
    assert.equal(h.count('poison'), 2);
    assert.equal(h.count('fine'), 1);
    assert.equal(await queueDepth(url), 0);
  });

  test('runner: the batching window gathers messages sent over time into one invocation', async () => {
    const { url } = await createQueue({ visibilityTimeout: 10 });
    const h = recordingHandler(async () => undefined);
    const runner = await startQueueRunner({ sqs: stack.sqs, queueUrl: url, handler: h.handler, batchSize: 10, batchingWindowMs: 1500 });
    for (const body of ['1', '2', '3']) {
      await stack.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await waitFor(() => h.seen.length === 3);
    await runner.stop();
    assert.deepEqual(h.batches, [['1', '2', '3']]);
  });

  test('runner: FIFO order within each message group holds with concurrency', async () => {
    const { url } = await createQueue({ fifo: true, visibilityTimeout: 5 });
    const h = recordingHandler(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return undefined;
    });
    const bodies = Array.from({ length: 24 }, (_, i) => `g${i % 3}-${String(Math.floor(i / 3)).padStart(2, '0')}`);
    await send(url, bodies, (body) => body.slice(0, 2));
    const runner = await startQueueRunner({ sqs: stack.sqs, queueUrl: url, handler: h.handler, concurrency: 3 });
    await waitFor(() => h.seen.length === bodies.length, 15_000, 'every message');
    await runner.stop();
    for (const group of ['g0', 'g1', 'g2']) {
      const order = h.seen.map((r) => r.body).filter((b) => b.startsWith(group));
      assert.deepEqual(order, [...order].sort(), `group ${group} out of order`);
      assert.ok(h.seen.filter((r) => r.body.startsWith(group)).every((r) => r.attributes.MessageGroupId === group));
    }
  });

  test('runner: drives the planner Lambda handler from the bucket’s real notifications', async () => {
    const tenant = 'runner-e2e';
    const handler = createPlannerHandler({ env: stack.env, logger: silentLogger });
    const runner = await startQueueRunner({
      sqs: stack.sqs,
      queueUrl: stack.resources.eventsQueue.url,
      handler,
      batchSize: 10,
      batchingWindowMs: 200,
      concurrency: 2,
    });
    const ids = await putSegments(stack, tenant, 0, 0, 40);
    await waitFor(async () => (await shardState(stack, tenant, 0)).state.jobs.length === 2, 15_000, 'two jobs');
    await waitFor(async () => (await shardState(stack, tenant, 0)).state.jobs.every((job) => job.dispatches > 0), 5_000, 'the dispatch');
    await runner.stop();
    const { state } = await shardState(stack, tenant, 0);
    assertEachSegmentInExactlyOneJob(state, ids, (await drainJobs(stack)).filter((job) => job.tenant === tenant));
    assert.equal(runner.stats.failedMessages, 0);
  });
});

describe('local scheduler', () => {
  test('scheduler: invokes the handler on an interval with a ScheduledEvent', async () => {
    const events: ScheduledEvent[] = [];
    const schedule = startSchedule({
      handler: async (event) => {
        events.push(event);
      },
      intervalMs: 40,
      name: 'strata-tick',
    });
    await waitFor(() => events.length >= 3);
    await schedule.stop();
    const count = events.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(events.length, count, 'invoked after stop');
    const [event] = events;
    assert.equal(event?.source, 'aws.events');
    assert.equal(event?.['detail-type'], 'Scheduled Event');
    assert.deepEqual(event?.resources, ['arn:aws:events:us-east-1:000000000000:rule/strata-tick']);
    assert.match(event?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('scheduler: an invocation still running is not doubled; runNow waits for it', async () => {
    let running = 0;
    let maxRunning = 0;
    const schedule = startSchedule({
      handler: async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await new Promise((resolve) => setTimeout(resolve, 120));
        running--;
        return 'done';
      },
      intervalMs: 20,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await schedule.runNow(), 'done');
    await schedule.stop();
    assert.equal(maxRunning, 1);
  });
});
