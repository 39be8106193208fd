import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from 'aws-lambda';
import { compactorPools, workerPool, type FunctionWorker } from '../../cli/pipeline.js';
import { jobGroupId } from '../../lib/plan/dispatch.js';

/** A worker whose invocations stay in flight until released. */
function heldWorker(name: string, cpuMs: number) {
  const held: Array<() => void> = [];
  const calls: unknown[] = [];
  let stopped = false;
  const worker: FunctionWorker = {
    url: undefined,
    invoke<Result>(event: unknown) {
      calls.push(event);
      return new Promise<Result>((resolve) => held.push(() => resolve(`${name}:${String(event)}` as Result)));
    },
    stats: async () => ({ cpuMs }),
    stop: async () => {
      stopped = true;
    },
  };
  return { worker, calls, releaseAll: () => held.splice(0).forEach((release) => release()), isStopped: () => stopped };
}

const context = {} as Context;

describe('strata dev: a function on several threads', () => {
  it('sends each invocation to the thread with the fewest in flight, the first on a tie', async () => {
    const [a, b] = [heldWorker('a', 0), heldWorker('b', 0)];
    const pool = workerPool([a.worker, b.worker]);
    const first = [1, 2, 3].map((event) => pool.invoke<string>(event, context));
    assert.deepEqual([a.calls, b.calls], [[1, 3], [2]]);
    a.releaseAll();
    assert.deepEqual(await Promise.all([first[0], first[2]]), ['a:1', 'a:3']);
    // a is idle now, b still has one in flight.
    const next = pool.invoke<string>(4, context);
    assert.deepEqual(a.calls, [1, 3, 4]);
    a.releaseAll();
    b.releaseAll();
    assert.deepEqual(await Promise.all([first[1], next]), ['b:2', 'a:4']);
  });

  it('counts the CPU time of all its threads and stops them all', async () => {
    const [a, b] = [heldWorker('a', 120), heldWorker('b', 30)];
    const pool = workerPool([a.worker, b.worker]);
    assert.deepEqual(await pool.stats(), { cpuMs: 150 });
    await pool.stop();
    assert.ok(a.isStopped() && b.isStopped());
  });

  it('sends the compactor\'s merges to the merge threads and its L0→L1 jobs to the others', async () => {
    const [l1, merges] = [heldWorker('l1', 10), heldWorker('merges', 5)];
    const compactor = compactorPools(l1.worker, merges.worker);
    const job = (groupId: string) => ({ Records: [{ attributes: { MessageGroupId: groupId } }] });
    const events = [job(jobGroupId('team-a', 3, 1)), job(jobGroupId('team-a', 3, 2)), job(jobGroupId('t'.repeat(150), 0, 3)), job('team-a/3'), {}];
    const answers = events.map((event) => compactor.invoke<string>(event, context));
    // A group id jobGroupId did not make (an older version's), or no record at all, goes to the L0→L1 threads.
    assert.deepEqual(l1.calls, [events[0], events[3], events[4]]);
    assert.deepEqual(merges.calls, [events[1], events[2]]);
    l1.releaseAll();
    merges.releaseAll();
    assert.equal((await Promise.all(answers)).length, 5);
    assert.deepEqual(await compactor.stats(), { cpuMs: 15 });
    await compactor.stop();
    assert.ok(l1.isStopped() && merges.isStopped());
  });
});
