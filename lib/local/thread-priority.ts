/**
 * The scheduling priority of the calling thread, for `strata dev`'s background work. On Lambda each
 * invocation has a CPU of its own; on one machine the compactor's merges share the cores with the
 * L0→L1 jobs that compaction lag waits on, so their threads run at a lower priority (a higher nice
 * value) and take the CPU the others leave.
 *
 * Linux keeps a nice value per thread: setpriority(2) given a thread id changes that thread alone,
 * and the calling thread finds its id in the /proc/thread-self link ("<pid>/task/<tid>"). Other
 * systems have no per-thread nice value there, and this reports that it could not lower it.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

export interface ThreadPriority {
  threadId: number;
  /** The nice value the thread now has. */
  nice: number;
}

/**
 * Raises the calling thread's nice value to `nice` (0 to 19); undefined where threads have no nice
 * value of their own (not Linux). Never raises the priority: an unprivileged process cannot.
 */
export function lowerThreadPriority(nice: number): ThreadPriority | undefined {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`nice value ${nice} is not an integer from 0 to 19`);
  const threadId = callingThreadId();
  if (threadId === undefined) return undefined;
  if (getPriority(threadId) < nice) setPriority(threadId, nice);
  return { threadId, nice: getPriority(threadId) };
}

/** The kernel's id of the calling thread, or undefined without /proc/thread-self. */
function callingThreadId(): number | undefined {
  let link: string;
  try {
    // Read synchronously, so on this thread: libuv's pool would resolve the link for its own.
    link = readlinkSync('/proc/thread-self');
  } catch {
    return undefined;
  }
  const threadId = Number(link.slice(link.lastIndexOf('/') + 1));
  return Number.isSafeInteger(threadId) && threadId > 0 ? threadId : undefined;
}
