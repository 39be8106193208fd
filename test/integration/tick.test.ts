/**
 * The tick against the embedded stack: adopting segments whose notification was lost (but not
 * those a block already replaced), cutting quiet shards by age, re-dispatching after the lease,
 * deleting tombstoned sources after the cleanup delay, quarantining malformed keys found by
 * listing — and the compactor's commit (commitCompactedJob) that feeds the next level.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createTickHandler } from '../../functions/tick.js';
import { silentLogger } from '../../lib/log/logger.js';
import { scheduledEvent } from '../../lib/local/scheduler.js';
import { commitCompactedJob, readJobSpec } from '../../lib/plan/commit.js';
import { planLimits } from '../../lib/plan/limits.js';
import { planSegmentEvents } from '../../lib/plan/planner.js';
import { encodeFile } from '../../lib/segment/format.js';
import { blockKey, quarantineKeys, segmentKey, stateKey } from '../../lib/segment/keys.js';
import { runTick, type TickDeps } from '../../lib/tick/tick.js';
import { assertEachSegmentInExactlyOneJob } from '../helpers/planner-assert.js';
import { s3EventBody } from '../helpers/planner-fixtures.js';
import { drainJobs, putSegments, shardState, startPlannerStack, takeEvents, type PlannerStack } from '../helpers/planner-stack.js';
import { segmentIdentity, series } from '../helpers/segments.js';
import { interceptStore } from '../helpers/store-intercept.js';

let stack: PlannerStack;
let tenantCounter = 0;
let tenant: string;
const shard = 1;
const minutes = (n: number) => n * 60_000;

before(async () => {
  stack = await startPlannerStack();
});
after(async () => {
  await stack.stop();
});
beforeEach(async () => {
  tenant = `tick-${++tenantCounter}`;
  // Earlier tests' shards stay in the bucket; the tick handles them too, which is fine.
  await takeEvents(stack);
  await drainJobs(stack);
});

function tickDeps(at: number, overrides: Partial<TickDeps> = {}): TickDeps {
  return { store: stack.store, jobs: stack.jobs, logger: silentLogger, clock: () => at, ...overrides };
}

async function plan(ids: readonly string[], at = Date.now()) {
  const messages = ids.map((id, i) => ({
    messageId: `m${i}`,
    body: s3EventBody([{ bucket: stack.resources.bucket, key: segmentKey(tenant, shard, id), eventTime: new Date(at).toISOString() }]),
  }));
  return planSegmentEvents({ store: stack.store, jobs: stack.jobs, logger: silentLogger, clock: () => at }, messages);
}

describe('tick on the embedded stack', () => {
  test('tick: a segment whose notification was lost is adopted, cut by age and dispatched', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 3);
    await takeEvents(stack); // the notifications are lost

    const early = await runTick(tickDeps(Date.now()));
    assert.equal(early.adopted, 0, 'a segment younger than adoptAfter may still have its event in flight');

    const report = await runTick(tickDeps(Date.now() + minutes(3)));

    assert.ok(report.adopted >= 3);
    const { state } = await shardState(stack, tenant, shard);
    assertEachSegmentInExactlyOneJob(state, ids, (await drainJobs(stack)).filter((job) => job.tenant === tenant));
    // A second tick changes nothing.
    const { etag } = await shardState(stack, tenant, shard);
    await runTick(tickDeps(Date.now() + minutes(3)));
    assert.equal((await shardState(stack, tenant, shard)).etag, etag);
  });

  test('tick: a quiet shard is cut by age through the scheduled Lambda handler', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 4);
    await plan(ids);
    assert.equal((await shardState(stack, tenant, shard)).state.jobs.length, 0);

    const handler = createTickHandler({ env: { ...stack.env, STRATA_L0_MAX_AGE_SECONDS: '0' }, logger: silentLogger });
    const report = await handler(scheduledEvent('strata-tick', 'us-east-1'));

    assert.ok(report.cut >= 1);
    const { state } = await shardState(stack, tenant, shard);
    assertEachSegmentInExactlyOneJob(state, ids, (await drainJobs(stack)).filter((job) => job.tenant === tenant));
  });

  test('tick: an open job whose dispatch is older than the lease is dispatched again, past FIFO deduplication', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 20);
    await plan(ids);
    const [first] = await drainJobs(stack);
    assert.ok(first);

    await runTick(tickDeps(Date.now() + minutes(4)));
    assert.equal((await drainJobs(stack)).filter((job) => job.tenant === tenant).length, 0, 'redispatched inside the lease');
    const report = await runTick(tickDeps(Date.now() + minutes(5) + 1000));

    const again = (await drainJobs(stack)).filter((job) => job.tenant === tenant);
    assert.ok(report.redispatched >= 1);
    assert.deepEqual(again.map((job) => [job.jobId, job.deduplicationId]), [[first.jobId, `${first.jobId}.r1`]]);
    const { state } = await shardState(stack, tenant, shard);
    assert.equal(state.jobs[0]!.dispatches, 2);
  });

  test('tick: tombstoned sources are deleted after the cleanup delay, then their tombstones dropped', async () => {
    const ids = await putSegments(stack, tenant, shard, 0, 20);
    await plan(ids);
    const [job] = await drainJobs(stack);
    const committedAt = Date.now();
    const commit = await commitCompactedJob(
      { store: stack.store, jobs: stack.jobs, logger: silentLogger, clock: () => committedAt },
      { tenant, shard, jobId: job!.jobId, output: { size: 1234 } },
    );
    assert.equal(commit.outcome, 'committed');
    assert.equal((await shardState(stack, tenant, shard)).state.tombstones.length, 1);

    await runTick(tickDeps(committedAt + 59_000));
    assert.ok(await stack.store.head(segmentKey(tenant, shard, ids[0]!)), 'deleted before the cleanup delay');
    const report = await runTick(tickDeps(committedAt + 60_000));

    assert.ok(report.tombstonesDropped >= 1);
    for (const id of ids) assert.equal(await stack.store.head(segmentKey(tenant, shard, id)), undefined);
    const { state } = await shardState(stack, tenant, shard);
    assert.deepEqual(state.tombstones, []);
    assert.deepEqual(state.waiting.map((block) => block.id), [job!.jobId]);
    // A late duplicate event for a deleted source is recognised as gone.
    await plan(ids.slice(0, 1));
    assert.deepEqual((await shardState(stack, tenant, shard)).state.pending, []);
  });

  test('tick: a segment already replaced by a block (its state was lost) is not adopted', async () => {
    const [id] = await putSegments(stack, tenant, shard, 0, 1);
    await takeEvents(stack);
    const sourceKey = segmentKey(tenant, shard, id!);
    const block = encodeFile(segmentIdentity({ tenant, shard, shardCount: 4, level: 1, id: 'j000000000000-L1-old', sources: [sourceKey] }), [
      series('up', { job: 'x' }, [[1, 1]]),
    ]);
    await stack.store.put(blockKey(tenant, shard, 1, 'j000000000000-L1-old'), block);

    const report = await runTick(tickDeps(Date.now() + minutes(3)));

    assert.equal(report.replaced, 1);
    const { state } = await shardState(stack, tenant, shard);
    assert.equal(state.pending.length + state.jobs.length, 0);
  });

  test('tick: a malformed key found by listing is quarantined', async () => {
    const badKey = `segments/${tenant}/${shard}/bad.seg`;
    await stack.store.put(badKey, new Uint8Array(3));
    await takeEvents(stack);

    const report = await runTick(tickDeps(Date.now() + minutes(3)));

    assert.ok(report.quarantined >= 1);
    assert.ok(await stack.store.head(quarantineKeys(badKey).reportKey));
    assert.equal(await stack.store.head(badKey), undefined);
  });

  test('tick: committing L1 blocks cuts and dispatches the L2 job; a repeated commit is not-open', async () => {
    const limits = planLimits({ levels: [{ maxItems: 5 }, { maxItems: 2 }] });
    const ids = await putSegments(stack, tenant, shard, 0, 10);
    await planSegmentEvents(
      { store: stack.store, jobs: stack.jobs, logger: silentLogger, limits },
      ids.map((id, i) => ({ messageId: `m${i}`, body: s3EventBody([{ bucket: stack.resources.bucket, key: segmentKey(tenant, shard, id) }]) })),
    );
    const l1 = await drainJobs(stack);
    assert.equal(l1.length, 2);
    const deps = { store: stack.store, jobs: stack.jobs, logger: silentLogger, limits };
    const spec = await readJobSpec(stack.store, tenant, shard, l1[0]!.jobId);
    assert.equal(spec?.sourceKeys.length, 5);

    await commitCompactedJob(deps, { tenant, shard, jobId: l1[0]!.jobId, output: { size: 10 } });
    const second = await commitCompactedJob(deps, { tenant, shard, jobId: l1[1]!.jobId, output: { size: 10 } });
    const again = await commitCompactedJob(deps, { tenant, shard, jobId: l1[1]!.jobId, output: { size: 10 } });

    assert.equal(second.cut.length, 1);
    assert.equal(second.cut[0]!.level, 2);
    assert.equal(again.outcome, 'not-open');
    const l2 = await drainJobs(stack);
    assert.deepEqual(l2.map((job) => job.jobId), [second.cut[0]!.id]);
    const l2spec = await readJobSpec(stack.store, tenant, shard, second.cut[0]!.id);
    assert.deepEqual(l2spec?.sourceKeys, l1.map((job) => blockKey(tenant, shard, 1, job.jobId)));
    assert.equal(await readJobSpec(stack.store, tenant, shard, l1[0]!.jobId), undefined);
  });

  test('tick and planner: a segment deleted between two attempts of one state update is not taken in again', async () => {
    // The segment was compacted and cleaned up while an update retried: each attempt must see that
    // for itself, not trust an earlier attempt's HEAD (a job naming a deleted source never succeeds).
    const [other, gone] = await putSegments(stack, tenant, shard, 0, 2);
    await takeEvents(stack); // both notifications lost
    await plan([other!]); // the shard's state exists, and does not know `gone`
    const key = segmentKey(tenant, shard, gone!);
    for (const run of ['tick', 'planner'] as const) {
      await stack.store.put(key, new Uint8Array(100));
      let conflicts = 0;
      const racing = interceptStore(stack.store, async (call, proceed) => {
        if (call.op === 'putIfMatch' && call.key === stateKey(tenant, shard) && conflicts === 0) {
          conflicts++;
          await stack.store.deleteMany([key]);
          const { body } = (await stack.store.get(call.key))!;
          await stack.store.put(call.key, Buffer.concat([body, Buffer.from(' ')])); // the same state, another ETag: this write loses
        }
        return proceed();
      });
      if (run === 'tick') await runTick(tickDeps(Date.now() + minutes(3), { store: racing }));
      else await planSegmentEvents({ store: racing, jobs: stack.jobs, logger: silentLogger, clock: () => Date.now() }, [
        { messageId: 'late', body: s3EventBody([{ bucket: stack.resources.bucket, key, eventTime: new Date().toISOString() }]) },
      ]);
      assert.equal(conflicts, 1, `${run}: the first attempt lost its write`);
      const { state } = await shardState(stack, tenant, shard);
      const named = [...state.pending.map((segment) => segment.id), ...state.jobs.flatMap((job) => job.sources)];
      assert.ok(!named.includes(gone!), `${run}: the deleted segment was taken into the state: ${JSON.stringify(named)}`);
    }
  });
});

