/**
 * Reading the shard state and changing it with compare-and-swap: read → apply → PutObject
 * `If-None-Match: *` (first write) or `If-Match: <etag>`; on 412/409/404 re-read and re-apply
 * after a jittered backoff; after `maxAttempts` throw StateConflictError (retryable) so that the
 * message goes back to SQS instead of spinning.
 */
import type { ObjectStore } from '../aws/contract.js';
import type { Logger } from '../log/logger.js';
import { stateKey } from '../segment/keys.js';
import { StateConflictError } from './errors.js';
import { emptyState, parseState, serializeState } from './schema.js';
import type { ShardState, VersionedState } from './types.js';

export interface CasOptions {
  /** Attempts (reads + conditional writes) before giving up. Default 8. */
  maxAttempts?: number;
  /** Backoff ceiling of the first retry, doubled each time up to maxDelayMs; full jitter. Default 10 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Operational counters of the metastore; pass one object and read it after a run. */
export interface MetastoreCounters {
  reads: number;
  writes: number;
  /** Conditional writes that lost (412/409/404). */
  conflicts: number;
  /** Updates that gave up with StateConflictError. */
  exhausted: number;
  /** Largest state written, in bytes. */
  maxStateBytes: number;
}

export function newMetastoreCounters(): MetastoreCounters {
  return { reads: 0, writes: 0, conflicts: 0, exhausted: 0, maxStateBytes: 0 };
}

export interface MetastoreContext {
  store: ObjectStore;
  logger: Logger;
  cas?: CasOptions;
  counters?: MetastoreCounters;
}

/** The state as stored, or a fresh empty one (etag undefined) when the object does not exist yet. */
export async function readShardState(store: ObjectStore, tenant: string, shard: number): Promise<VersionedState> {
  const stored = await store.get(stateKey(tenant, shard));
  if (stored === undefined) return { state: emptyState(tenant, shard), etag: undefined, bytes: 0 };
  return { state: parseState(stored.body, tenant, shard), etag: stored.etag, bytes: stored.body.length };
}

/** What `apply` decided: `next` is the new state, or the current object itself for "no change". */
export interface StateChange<R> {
  next: ShardState;
  result: R;
}

export interface UpdateOutcome<R> {
  result: R;
  /** The state after the update (the one read, when nothing was written). */
  state: ShardState;
  etag: string | undefined;
  written: boolean;
  attempts: number;
  conflicts: number;
  /** Size of the state after the update. */
  bytes: number;
}

export type ApplyFunction<R> = (current: VersionedState, attempt: number) => StateChange<R> | Promise<StateChange<R>>;

/**
 * Reads the state, applies `apply` and writes the result conditionally, retrying on conflict.
 * `apply` may run once per attempt (see the contract in types.ts); the returned result is the
 * one of the attempt whose state was written (or the last read, when nothing changed).
 */
export async function updateShardState<R>(
  context: MetastoreContext,
  tenant: string,
  shard: number,
  apply: ApplyFunction<R>,
): Promise<UpdateOutcome<R>> {
  const { store, logger, counters } = context;
  const options = context.cas ?? {};
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const baseDelayMs = options.baseDelayMs ?? 10;
  const maxDelayMs = options.maxDelayMs ?? 1000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const key = stateKey(tenant, shard);
  let conflicts = 0;

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const current = await readShardState(store, tenant, shard);
    if (counters) counters.reads++;
    const { next, result } = await apply(current, attempt);
    if (next === current.state) {
      return { result, state: current.state, etag: current.etag, written: false, attempts: attempt, conflicts, bytes: current.bytes };
    }
    const body = serializeState(next);
    const outcome =
      current.etag === undefined
        ? await store.putIfAbsent(key, body, { contentType: 'application/json' })
        : await store.putIfMatch(key, body, current.etag, { contentType: 'application/json' });
    if (outcome.outcome === 'written') {
      if (counters) {
        counters.writes++;
        counters.maxStateBytes = Math.max(counters.maxStateBytes, body.length);
      }
      return { result, state: next, etag: outcome.etag, written: true, attempts: attempt, conflicts, bytes: body.length };
    }
    conflicts++;
    if (counters) counters.conflicts++;
    if (attempt < maxAttempts) {
      const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      logger.debug('state conflict, retrying', { tenant, shard, attempt, outcome: outcome.outcome });
      await sleep(random() * ceiling);
    }
  }
  if (counters) counters.exhausted++;
  logger.warn('state conflict, giving up', { tenant, shard, attempts: maxAttempts });
  throw new StateConflictError(tenant, shard, maxAttempts);
}

function defaultSleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
