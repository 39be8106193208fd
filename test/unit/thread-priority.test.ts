import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { lowerThreadPriority, type ThreadPriority } from '../../lib/local/thread-priority.js';

/** Runs lowerThreadPriority with each nice value in turn in a worker thread of its own; resolves with what the last returned. */
function lowerInWorker(...nice: number[]): Promise<ThreadPriority | undefined> {
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const module = JSON.stringify(new URL('../../lib/local/thread-priority.ts', import.meta.url).href);
  const source = `const { parentPort } = require('node:worker_threads');
    import(${loader}).then((tsx) => { tsx.register(); return import(${module}); })
      .then((m) => parentPort.postMessage(${JSON.stringify(nice)}.map((n) => m.lowerThreadPriority(n)).at(-1) ?? null));`;
  const worker = new Worker(source, { eval: true });
  return new Promise((resolve, reject) => {
    worker.once('message', (result: ThreadPriority | null) => {
      // The thread must still be alive when its priority is read.
      const seen = result === null ? undefined : { ...result, nice: getPriority(result.threadId) };
      void worker.terminate().then(() => resolve(seen));
    });
    worker.once('error', reject);
  });
}

describe('strata dev: thread priority', () => {
  const linux = process.platform === 'linux' && existsSync('/proc/thread-self');

  it('lowers the calling thread alone (Linux), or says it cannot', async () => {
    const processBefore = getPriority();
    const lowered = await lowerInWorker(Math.min(19, processBefore + 7));
    if (!linux) {
      assert.equal(lowered, undefined);
      return;
    }
    assert.ok(lowered !== undefined, 'Linux has per-thread nice values');
    assert.notEqual(lowered.threadId, process.pid);
    assert.equal(lowered.nice, Math.min(19, processBefore + 7));
    // The process (its main thread) and so the other threads keep their priority.
    assert.equal(getPriority(), processBefore);
  });

  it('never raises a priority, and refuses a nice value outside 0..19', async () => {
    if (linux) {
      const nice = Math.min(19, getPriority() + 5);
      const lowered = await lowerInWorker(nice, getPriority());
      assert.equal(lowered?.nice, nice, 'asked for its old priority back, the thread stays lower');
    }
    assert.throws(() => lowerThreadPriority(20), /nice value 20 is not an integer from 0 to 19/);
    assert.throws(() => lowerThreadPriority(-1), RangeError);
  });
});
