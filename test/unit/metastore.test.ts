/**
 * The shard state: schema, pure transitions (idempotent, never mutating) and the compare-and-swap
 * loop, on an in-memory store. The same properties are proven against the embedded stack in
 * test/integration/planner.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { silentLogger } from '../../lib/log/logger.js';
import { newMetastoreCounters, readShardState, updateConditionally, updateShardState } from '../../lib/metastore/cas.js';
import { StateConflictError, StateCorruptError, UnsupportedStateVersionError } from '../../lib/metastore/errors.js';
import { emptyState, parseState, serializeState } from '../../lib/metastore/schema.js';
import {
  addSegments,
  commitJob,
  dropTombstones,
  dueTombstones,
  jobSpec,
  markDispatched,
} from '../../lib/metastore/transitions.js';
import type { ShardState } from '../../lib/metastore/types.js';
import { cutJobs } from '../../lib/plan/cut.js';
import { planLimits } from '../../lib/plan/limits.js';
import { emptyRulesHash } from '../../lib/rules/snapshot.js';
import { stateKey } from '../../lib/segment/keys.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { pendingSegments, segmentId, stateWith } from '../helpers/planner-fixtures.js';

const bytes = (text: string) => new TextEncoder().encode(text);

/** Runs a transition twice: the second run must return its input unchanged (the same object). */
function assertIdempotent(state: ShardState, transition: (state: ShardState) => ShardState): ShardState {
  const frozen = structuredClone(state);
  const once = transition(state);
  assert.deepEqual(state, frozen, 'the transition mutated its input');
  const twice = transition(once);
  assert.equal(twice, once, 'a second application changed the state');
  return once;
}

function withOpenJob(): ShardState {
  const state = stateWith({ pending: pendingSegments(20) });
  return cutJobs(state, { now: 5_000, limits: planLimits(), rulesHash: emptyRulesHash }).state;
}

describe('metastore schema', () => {
  test('metastore: a state survives serialize → parse unchanged', () => {
    const state = withOpenJob();
    assert.deepEqual(parseState(serializeState(state), 'team-a', 3), state);
  });

  test('metastore: a state of another shard, a broken object or a bad field is StateCorruptError', () => {
    const state = serializeState(emptyState('team-a', 3));
    assert.throws(() => parseState(state, 'team-a', 4), StateCorruptError);
    assert.throws(() => parseState(bytes('{"v":1'), 'team-a', 3), StateCorruptError);
    const unsorted = { ...emptyState('team-a', 3), pending: [...pendingSegments(2)].reverse() };
    assert.throws(() => parseState(serializeState(unsorted), 'team-a', 3), /not sorted/);
  });

  test('metastore: a newer schema version is refused as retryable', () => {
    const newer = bytes(JSON.stringify({ ...emptyState('team-a', 3), v: 2 }));
    assert.throws(
      () => parseState(newer, 'team-a', 3),
      (error: unknown) => error instanceof UnsupportedStateVersionError && error.retryable,
    );
  });
});

describe('metastore transitions', () => {
  test('metastore: adding segments is idempotent and keeps pending sorted', () => {
    const arrivals = [...pendingSegments(3)].reverse();
    const state = assertIdempotent(stateWith(), (s) => addSegments(s, arrivals).state);
    assert.deepEqual(state.pending.map((p) => p.id), [segmentId(0), segmentId(1), segmentId(2)]);
  });

  test('metastore: a segment pending, in an open job or tombstoned is a duplicate', () => {
    const state = commitJob(withOpenJob(), withOpenJob().jobs[0]!.id, { size: 10 }, 6_000).state;
    const withJob = cutJobs(addSegments(state, pendingSegments(20, 7_000, 1000, 100)).state, {
      now: 7_000,
      limits: planLimits(),
      rulesHash: emptyRulesHash,
    }).state;
    const withPending = addSegments(withJob, pendingSegments(1, 8_000, 1000, 200)).state;
    assert.ok(withPending.tombstones.some((tombstone) => tombstone.sources.includes(segmentId(0))), 'segment 0 is tombstoned');
    assert.ok(withPending.jobs.some((job) => job.sources.includes(segmentId(100))), 'segment 100 is in an open job');
    assert.ok(withPending.pending.some((segment) => segment.id === segmentId(200)), 'segment 200 is pending');
    const again = addSegments(withPending, [
      { id: segmentId(0), size: 1, createdAt: 1 },
      { id: segmentId(100), size: 1, createdAt: 1 },
      { id: segmentId(200), size: 1, createdAt: 1 },
    ]);
    assert.equal(again.state, withPending);
    assert.equal(again.duplicates.length, 3);
  });

  test('metastore: beyond maxPending, arrivals are deferred, not recorded', () => {
    const result = addSegments(stateWith(), pendingSegments(5), 3);
    assert.equal(result.state.pending.length, 3);
    assert.equal(result.deferred.length, 2);
  });

  test('metastore: commitJob removes the job, tombstones its sources and queues the output', () => {
    const state = withOpenJob();
    const job = state.jobs[0]!;
    const committed = assertIdempotent(state, (s) => commitJob(s, job.id, { size: 4096 }, 9_000).state);
    assert.equal(committed.jobs.length, 0);
    assert.deepEqual(committed.tombstones, [{ jobId: job.id, level: 0, sources: job.sources, at: 9_000 }]);
    assert.deepEqual(committed.waiting, [{ level: 1, id: job.id, size: 4096, createdAt: 9_000 }]);
    assert.equal(commitJob(committed, job.id, { size: 1 }, 10_000).outcome, 'not-open');
  });

  test('metastore: a final job queues nothing; a job without output queues nothing', () => {
    const limits = planLimits({ levels: [{ maxItems: 2 }] }).levels.slice(0, 1);
    const state = cutJobs(stateWith({ pending: pendingSegments(2) }), {
      now: 1,
      limits: { ...planLimits(), levels: limits },
      rulesHash: 'h',
    }).state;
    assert.equal(state.jobs[0]!.final, true);
    assert.deepEqual(commitJob(state, state.jobs[0]!.id, { size: 5 }, 2).state.waiting, []);
    const open = withOpenJob();
    assert.deepEqual(commitJob(open, open.jobs[0]!.id, null, 2).state.waiting, []);
  });

  test('metastore: markDispatched records a send once, and not for a committed job', () => {
    const state = withOpenJob();
    const job = state.jobs[0]!;
    const sent = [{ jobId: job.id, dispatches: 0 }];
    const marked = assertIdempotent(state, (s) => markDispatched(s, sent, 7_000));
    assert.equal(marked.jobs[0]!.dispatches, 1);
    assert.equal(marked.jobs[0]!.dispatchedAt, 7_000);
    const committed = commitJob(state, job.id, { size: 1 }, 6_000).state;
    assert.equal(markDispatched(committed, sent, 7_000), committed);
  });

  test('metastore: tombstones are due after the cleanup delay and drop idempotently', () => {
    const state = commitJob(withOpenJob(), withOpenJob().jobs[0]!.id, { size: 1 }, 10_000).state;
    assert.equal(dueTombstones(state, 69_999, 60_000).length, 0);
    const due = dueTombstones(state, 70_000, 60_000);
    assert.equal(due.length, 1);
    const dropped = assertIdempotent(state, (s) => dropTombstones(s, due.map((t) => t.jobId)));
    assert.deepEqual(dropped.tombstones, []);
  });

  test('metastore: jobSpec gives the compactor keys, and nothing for a committed job', () => {
    const state = withOpenJob();
    const job = state.jobs[0]!;
    const spec = jobSpec(state, job.id)!;
    assert.equal(spec.outputKey, `blocks/team-a/3/L1/${job.id}.blk`);
    assert.equal(spec.sourceKeys[0], `segments/team-a/3/${segmentId(0)}.seg`);
    assert.deepEqual(spec.sourceKeys, [...spec.sourceKeys].sort());
    assert.equal(jobSpec(commitJob(state, job.id, null, 1).state, job.id), undefined);
  });
});

describe('metastore compare-and-swap', () => {
  const context = (store: MemoryObjectStore, extra = {}) => ({
    store,
    logger: silentLogger,
    cas: { sleep: async () => {}, ...extra },
    counters: newMetastoreCounters(),
  });
  const add = (n: number) => ({ state }: { state: ShardState }) => ({ next: addSegments(state, pendingSegments(1, 1, 1, n)).state, result: n });

  test('metastore: the first write creates the object, the next ones compare-and-swap', async () => {
    const store = new MemoryObjectStore();
    const ctx = context(store);
    assert.equal((await updateShardState(ctx, 'team-a', 3, add(1))).written, true);
    assert.equal((await updateShardState(ctx, 'team-a', 3, add(2))).written, true);
    const { state } = await readShardState(store, 'team-a', 3);
    assert.equal(state.pending.length, 2);
  });

  test('metastore: a known object saves the first read; stale, it loses the write and the loop reads; "no change" is only decided on a fresh read', async () => {
    const store = new MemoryObjectStore();
    const key = 'cas/object.json';
    const encode = (n: number) => new TextEncoder().encode(String(n));
    const read = async () => {
      const stored = await store.get(key);
      return { state: stored === undefined ? 0 : Number(new TextDecoder().decode(stored.body)), etag: stored?.etag };
    };
    let reads = 0;
    const sleeps: number[] = [];
    const update = (known: { state: number; etag: string | undefined }, apply: (n: number) => number) =>
      updateConditionally(store, key, { known, read: () => (reads++, read()), serialize: encode, apply: ({ state }) => ({ next: apply(state), result: state }), sleep: async (ms) => void sleeps.push(ms), random: () => 1 });

    const created = await update({ state: 0, etag: undefined }, (n) => n + 1);
    assert.deepEqual([created.outcome, reads], ['written', 0]);
    const fresh = await read();
    await store.put(key, encode(5));
    const stale = await update(fresh, (n) => n + 1);
    assert.deepEqual([stale.outcome, stale.outcome === 'written' && stale.conflicts, reads, (await read()).state], ['written', 1, 1, 6]);
    assert.deepEqual(sleeps, [], 'a write that lost only because the known object was stale reads again without a backoff');
    const unchanged = await update({ state: 100, etag: (await read()).etag }, (n) => (n >= 100 ? n : n + 1));
    assert.deepEqual([unchanged.outcome, reads, (await read()).state], ['written', 2, 7]);
  });

  test('metastore: no change means no write, not even a creation', async () => {
    const store = new MemoryObjectStore();
    const outcome = await updateShardState(context(store), 'team-a', 3, ({ state }) => ({ next: state, result: 0 }));
    assert.equal(outcome.written, false);
    assert.equal(store.objects.size, 0);
  });

  test('metastore: a lost race re-reads and re-applies on the winner’s state', async () => {
    const store = new MemoryObjectStore();
    const ctx = context(store);
    await updateShardState(ctx, 'team-a', 3, add(1));
    let interfered = false;
    const outcome = await updateShardState(ctx, 'team-a', 3, async (current, attempt) => {
      if (!interfered) {
        interfered = true;
        await updateShardState(context(store), 'team-a', 3, add(2));
      }
      return { next: addSegments(current.state, pendingSegments(1, 1, 1, 3)).state, result: attempt };
    });
    assert.equal(outcome.result, 2);
    assert.equal(outcome.conflicts, 1);
    const { state } = await readShardState(store, 'team-a', 3);
    assert.deepEqual(state.pending.map((p) => p.id), [segmentId(1), segmentId(2), segmentId(3)]);
  });

  test('metastore: after maxAttempts conflicts it throws a retryable StateConflictError', async () => {
    const store = new MemoryObjectStore();
    await updateShardState(context(store), 'team-a', 3, add(1));
    const ctx = context(store, { maxAttempts: 3 });
    let n = 10;
    await assert.rejects(
      updateShardState(ctx, 'team-a', 3, async ({ state }) => {
        await updateShardState(context(store), 'team-a', 3, add(n++));
        return { next: addSegments(state, pendingSegments(1, 1, 1, 99)).state, result: 0 };
      }),
      (error: unknown) => error instanceof StateConflictError && error.retryable && error.attempts === 3,
    );
    assert.equal(ctx.counters.exhausted, 1);
    assert.equal(ctx.counters.conflicts, 3);
  });

  test('metastore: a corrupt state object is never overwritten', async () => {
    const store = new MemoryObjectStore();
    await store.put(stateKey('team-a', 3), bytes('garbage'));
    await assert.rejects(updateShardState(context(store), 'team-a', 3, add(1)), StateCorruptError);
    assert.equal(new TextDecoder().decode((await store.get(stateKey('team-a', 3)))!.body), 'garbage');
  });
});
