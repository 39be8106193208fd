/**
 * Fault injection for the planner proofs: an ObjectStore and a MessageQueue that do the real
 * operation and then throw, once, at a chosen step — "the process died right after this".
 */
import type { ConditionalPutResult, MessageQueue, ObjectStore, OutgoingMessage, ReceivedMessage, ReceiveOptions } from '../../lib/aws/contract.js';
import { prefixes } from '../../lib/segment/keys.js';
import { interceptStore } from './store-intercept.js';

export class InjectedFault extends Error {
  override name = 'InjectedFault';
}

export type FaultPoint =
  /** After a successful read of a state object. */
  | 'after-state-read'
  /** After a state write that succeeded. */
  | 'after-state-write'
  /** After the n-th job message (1-based) was sent; later ones are not. */
  | { afterSend: number };

/** Wraps a store and a queue so that `point` throws once, after doing the real work. */
export function injectFault(store: ObjectStore, jobs: MessageQueue, point: FaultPoint): { store: ObjectStore; jobs: MessageQueue; fired: () => boolean } {
  let fired = false;
  const fire = (): never => {
    fired = true;
    throw new InjectedFault(`injected fault ${JSON.stringify(point)}`);
  };
  const faultyStore = interceptStore(store, async (call, run) => {
    const result = await run();
    if (fired) return result;
    if (point === 'after-state-read' && call.op === 'get' && call.key.startsWith(prefixes.state) && result !== undefined) fire();
    const written = (call.op === 'putIfAbsent' || call.op === 'putIfMatch') && (result as ConditionalPutResult).outcome === 'written';
    if (point === 'after-state-write' && written) fire();
    return result;
  });
  let sentSoFar = 0;
  const faultyJobs: MessageQueue = {
    url: jobs.url,
    sendBatch: async (messages: readonly OutgoingMessage[]) => {
      if (typeof point === 'object' && !fired) {
        for (const message of messages) {
          await jobs.sendBatch([message]);
          if (++sentSoFar === point.afterSend) fire();
        }
        return;
      }
      await jobs.sendBatch(messages);
    },
    receive: (options?: ReceiveOptions): Promise<ReceivedMessage[]> => jobs.receive(options),
    deleteBatch: (handles) => jobs.deleteBatch(handles),
    changeVisibility: (handle, seconds) => jobs.changeVisibility(handle, seconds),
  };
  return { store: faultyStore, jobs: faultyJobs, fired: () => fired };
}
