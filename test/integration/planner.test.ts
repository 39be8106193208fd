/**
 * The planner against the embedded stack (real conditional writes, real bucket notifications, the
 * real FIFO jobs queue): duplicates, reordering, racing planners, crashes after each step, and
 * quarantine. In every case each segment ends up in exactly one job and every job is dispatched.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createPlannerHandler } from '../../functions/planner.js';
import { silentLogger } from '../../lib/log/logger.js';
import { planLimits } from '../../lib/plan/limits.js';
import { newPlannerCounters, planSegmentEvents, type PlannerDeps } from '../../lib/plan/planner.js';
import { quarantineKeys, segmentKey } from '../../lib/segment/keys.js';
import { assertEachSegmentInExactlyOneJob, assertIdempotent } from '../helpers/planner-assert.js';
import { injectFault, type FaultPoint } from '../helpers/planner-faults.js';
import { s3EventBody, segmentId } from '../helpers/planner-fixtures.js';
import {
  drainJobs,
  putSegments,
  shardState,
  sqsEvent,
  startPlannerStack,
  takeEvents,
  type PlannerStack,
  type ReceivedJob,
} from '../helpers/planner-stack.js';

let stack: PlannerStack;
let tenantCounter = 0;
let tenant: string;
const shard = 2;

before(async () => {
  stack = await startPlannerStack();
});
after(async () => {
  await stack.stop();
});
beforeEach(async () => {
  tenant = `tenant-${++tenantCounter}`;
  await takeEvents(stack);
  await drainJobs(stack);
});

async function stateKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of stack.store.list('state/')) keys.push(`${object.key} ${object.etag}`);
  return keys;
}

function deps(overrides: Partial<PlannerDeps> = {}): PlannerDeps {
  return { store: stack.store, jobs: stack.jobs, logger: silentLogger, cas: { baseDelayMs: 2 }, ...overrides };
}

/** One S3 event message per segment, as S3 sends them, for segments that exist. */
function eventsFor(ids: readonly string[], first = 0): Array<{ messageId: string; body: string }> {
  return ids.map((id, i) => ({
    messageId: `m-${first + i}`,
    body: s3EventBody([{ bucket: stack.resources.bucket, key: segmentKey(tenant, shard, id), size: 100 }]),
  }));
}

describe('planner on the embedded stack', () => {
  test('planner: segments are planned from their real bucket notifications, through the Lambda handler', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 45);
    const records = await takeEvents(stack);
    assert.equal(records.length, 45);
    const handler = createPlannerHandler({ env: stack.env, logger: silentLogger });

    const response = await handler(sqsEvent(records.slice(0, 10)));
    const rest = await Promise.all([handler(sqsEvent(records.slice(10, 30))), handler(sqsEvent(records.slice(30)))]);

    for (const r of [response, ...rest]) assert.deepEqual(r.batchItemFailures, []);
    const { state } = await shardState(stack, tenant, shard);
    const sent = await drainJobs(stack);
    assert.equal(state.jobs.length, 2);
    assert.equal(state.pending.length, 5);
    assertEachSegmentInExactlyOneJob(state, ids, sent, { allowPending: true });
    assert.deepEqual(
      sent.map((job) => [job.groupId, job.deduplicationId]),
      state.jobs.map((job) => [`${tenant}/${shard}/L1`, job.id]),
    );
  });

  test('planner: the s3:TestEvent is ignored', async () => {
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: stack.resources.bucket });
    const counters = newPlannerCounters();
    const statesBefore = await stateKeys();
    const result = await planSegmentEvents(deps({ counters }), [{ messageId: 't', body }]);
    assert.deepEqual(result.failedMessageIds, []);
    assert.equal(counters.messages, 1);
    assert.equal(counters.segmentEvents + counters.added + counters.failedMessages, 0);
    assert.deepEqual(await stateKeys(), statesBefore, 'no state object was written');
  });

  test('planner: a duplicate event changes nothing', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 25);
    const events = eventsFor(ids);
    const counters = newPlannerCounters();
    const observed = await assertIdempotent(
      () => planSegmentEvents(deps({ counters }), events),
      () => shardState(stack, tenant, shard),
    );
    assert.equal(counters.duplicates, 25);
    assert.equal(counters.jobsDispatched, 1, 'the second run sent something');
    assert.equal(observed.state.jobs.length, 1);
    assert.equal((await drainJobs(stack)).length, 1);
  });

  test('planner: reordered events in overlapping batches give each segment exactly one job', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 60);
    const events = eventsFor(ids).reverse();
    const shuffled = [...events].sort((a, b) => (a.messageId.length * 7 + a.body.length) % 5 - (b.messageId.length * 3 + b.body.length) % 5);
    for (let start = 0; start < shuffled.length; start += 7) {
      // Each batch repeats the previous batch's last three events.
      await planSegmentEvents(deps(), shuffled.slice(Math.max(0, start - 3), start + 7));
    }
    const { state } = await shardState(stack, tenant, shard);
    assertEachSegmentInExactlyOneJob(state, ids, await drainJobs(stack));
    assert.equal(state.jobs.length, 3);
  });

  test('planner: an event for a segment that no longer exists (HEAD 404) changes nothing', async () => {
    const counters = newPlannerCounters();
    const result = await planSegmentEvents(deps({ counters }), eventsFor([segmentId(999)]));
    assert.deepEqual(result.failedMessageIds, []);
    assert.equal(counters.gone, 1);
    assert.equal((await shardState(stack, tenant, shard)).etag, undefined);
  });

  test('planner: two planners racing on one shard with real concurrency lose nothing and double nothing', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 200);
    const events = eventsFor(ids);
    const counters = newPlannerCounters();
    const handlers = [deps({ counters }), deps({ counters })];
    // Both planners see every event (as with duplicate deliveries), in batches of 10, at once.
    for (let start = 0; start < events.length; start += 10) {
      const batch = events.slice(start, start + 10);
      const results = await Promise.all(handlers.map((d, i) => planSegmentEvents(d, i === 0 ? batch : [...batch].reverse())));
      for (const result of results) assert.deepEqual(result.failedMessageIds, []);
    }
    const { state } = await shardState(stack, tenant, shard);
    assertEachSegmentInExactlyOneJob(state, ids, await drainJobs(stack));
    assert.equal(state.jobs.length, 10);
    assert.ok(counters.conflicts > 0, 'the planners never actually raced');
  });

  const faults: Array<[string, FaultPoint]> = [
    ['after the read', 'after-state-read'],
    ['after the state write', 'after-state-write'],
    ['after the first send', { afterSend: 1 }],
    ['after the second send', { afterSend: 2 }],
  ];
  for (const [name, point] of faults) {
    test(`planner: an error ${name}, then redelivery, loses no segment and no job`, async () => {
      const ids = await putSegments(stack, tenant, shard, 0, 40);
      const events = eventsFor(ids);
      const faulty = injectFault(stack.store, stack.jobs, point);

      const first = await planSegmentEvents(deps({ store: faulty.store, jobs: faulty.jobs }), events);
      assert.ok(faulty.fired(), 'the fault never fired');
      assert.deepEqual(first.failedMessageIds.sort(), events.map((e) => e.messageId).sort());
      const sentBefore = await drainJobs(stack);

      const redelivered = await planSegmentEvents(deps(), events);

      assert.deepEqual(redelivered.failedMessageIds, []);
      const { state } = await shardState(stack, tenant, shard);
      const sent: ReceivedJob[] = [...sentBefore, ...(await drainJobs(stack))];
      assertEachSegmentInExactlyOneJob(state, ids, sent);
      assert.equal(state.jobs.length, 2);
      // FIFO deduplication by job id: a job sent before the crash is not delivered twice.
      assert.equal(sent.length, 2);
    });
  }

  test('planner: a malformed key is quarantined with a report while the rest of the batch succeeds', async () => {
    const badKey = `segments/${tenant}/${shard}/not a ulid.seg`;
    await stack.store.put(badKey, new TextEncoder().encode('junk'));
    const ids = await putSegments(stack, tenant, shard, 0, 3);
    const records = await takeEvents(stack);
    assert.equal(records.length, 4);

    const handler = createPlannerHandler({ env: stack.env, logger: silentLogger });
    const response = await handler(sqsEvent(records));

    assert.deepEqual(response.batchItemFailures, []);
    const { objectKey, reportKey } = quarantineKeys(badKey);
    assert.equal(await stack.store.head(badKey), undefined);
    assert.ok(await stack.store.head(objectKey));
    const report = JSON.parse(new TextDecoder().decode((await stack.store.get(reportKey))!.body));
    assert.equal(report.key, badKey);
    assert.match(report.reason, /ULID/);
    const { state } = await shardState(stack, tenant, shard);
    assert.deepEqual(state.pending.map((p) => p.id), ids);
    // Redelivered: the quarantine is not repeated and nothing fails.
    assert.deepEqual((await handler(sqsEvent(records))).batchItemFailures, []);
  });

  test('planner: a message that is not an S3 event fails alone, the others succeed', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 2);
    const result = await planSegmentEvents(deps(), [...eventsFor(ids), { messageId: 'poison', body: 'hello' }]);
    assert.deepEqual(result.failedMessageIds, ['poison']);
    assert.equal((await shardState(stack, tenant, shard)).state.pending.length, 2);
  });

  test('planner: a full pending list defers segments to the tick instead of growing the state', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 8);
    const counters = newPlannerCounters();
    await planSegmentEvents(deps({ counters, limits: planLimits({ maxPendingSegments: 5 }) }), eventsFor(ids));
    assert.equal(counters.deferred, 3);
    assert.equal((await shardState(stack, tenant, shard)).state.pending.length, 5);
  });
});
