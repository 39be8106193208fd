/**
 * The invariants the planner proofs check, as helpers.
 */
import assert from 'node:assert/strict';
import type { ShardState } from '../../lib/metastore/types.js';
import type { ReceivedJob } from './planner-stack.js';

/**
 * Every segment is in exactly one place — one open L1 job or pending — and nothing else is;
 * every open job was sent (its id is among `sentJobIds`) and recorded as dispatched; nothing was
 * sent that is not a job of the state; sequences are unique and timestamps strictly increase.
 */
export function assertEachSegmentInExactlyOneJob(
  state: ShardState,
  segmentIds: readonly string[],
  sent: readonly ReceivedJob[],
  options: { allowPending?: boolean } = {},
): void {
  const places = new Map<string, string[]>();
  const note = (id: string, where: string) => places.set(id, [...(places.get(id) ?? []), where]);
  for (const job of state.jobs) if (job.level === 1) for (const id of job.sources) note(id, job.id);
  for (const segment of state.pending) note(segment.id, 'pending');
  for (const tombstone of state.tombstones) if (tombstone.level === 0) for (const id of tombstone.sources) note(id, `tombstone ${tombstone.jobId}`);
  for (const id of segmentIds) {
    const where = places.get(id) ?? [];
    assert.equal(where.length, 1, `segment ${id} is in ${where.length} places: ${where.join(', ')}`);
    if (!options.allowPending) assert.notEqual(where[0], 'pending', `segment ${id} is still pending`);
  }
  assert.deepEqual([...places.keys()].sort(), [...segmentIds].sort(), 'the state holds segments nobody wrote');
  const sentIds = new Set(sent.map((job) => job.jobId));
  for (const job of state.jobs) {
    assert.ok(sentIds.has(job.id), `job ${job.id} was never sent`);
    assert.ok(job.dispatches >= 1 && job.dispatchedAt !== null, `job ${job.id} is not recorded as dispatched`);
  }
  const open = new Set(state.jobs.map((job) => job.id));
  for (const id of sentIds) assert.ok(open.has(id), `job ${id} was sent but is not in the state`);
  for (let i = 1; i < state.jobs.length; i++) {
    assert.ok(state.jobs[i]!.sequence > state.jobs[i - 1]!.sequence, 'sequences are not increasing');
    assert.ok(state.jobs[i]!.ts > state.jobs[i - 1]!.ts, 'job timestamps are not strictly increasing');
  }
}

/**
 * Runs `operation` twice and asserts that the second run changed nothing: `observe` (the state's
 * bytes, ETag, the messages sent…) gives the same answer after both.
 */
export async function assertIdempotent<T>(operation: () => Promise<unknown>, observe: () => Promise<T>): Promise<T> {
  await operation();
  const first = await observe();
  await operation();
  const second = await observe();
  assert.deepEqual(second, first, 'the second run changed something');
  return first;
}
