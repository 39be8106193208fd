/**
 * Reading the shard state and changing it with compare-and-swap (`updateConditionally`, shared with
 * the export delivery state); after `maxAttempts` conflicts, StateConflictError (retryable) sends
 * the message back to SQS instead of spinning.
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
}

export type ApplyFunction<R> = (current: ConditionalObject<ShardState>, attempt: number) => StateChange<R> | Promise<StateChange<R>>;

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
  const cas = context.cas ?? {};
  const updated = await updateConditionally<ShardState, R>(store, stateKey(tenant, shard), {
    ...cas,
    read: async () => {
      const current = await readShardState(store, tenant, shard);
      if (counters) counters.reads++;
      return current;
    },
    serialize: serializeState,
    apply,
    onWritten: (bytes) => {
      if (counters) {
        counters.writes++;
        counters.maxStateBytes = Math.max(counters.maxStateBytes, bytes);
      }
    },
    onConflict: (attempt, outcome) => {
      if (counters) counters.conflicts++;
      logger.debug('state conflict', { tenant, shard, attempt, outcome });
    },
  });
  if (updated.outcome === 'exhausted') {
    if (counters) counters.exhausted++;
    logger.warn('state conflict, giving up', { tenant, shard, attempts: updated.attempts });
    throw new StateConflictError(tenant, shard, updated.attempts);
  }
  const { result, state, etag, attempts, conflicts } = updated;
  return { result, state, etag, written: updated.outcome === 'written', attempts, conflicts };
}

/** An object as read for a conditional update: etag undefined when it does not exist yet. */
export interface ConditionalObject<S> {
  state: S;
  etag: string | undefined;
}

export interface ConditionalUpdate<S, R> extends CasOptions {
  read: () => Promise<ConditionalObject<S>>;
  /**
   * The object as this writer last saw it (read or written). The first attempt writes against it
   * without reading; if it is stale the write loses (412) and the loop reads. A decision to change
   * nothing is only taken on a fresh read.
   */
  known?: ConditionalObject<S>;
  serialize: (state: S) => Uint8Array;
  /** Returns the state it was given (the same object) to change nothing. */
  apply: (current: ConditionalObject<S>, attempt: number) => { next: S; result: R } | Promise<{ next: S; result: R }>;
  onWritten?: (bytes: number) => void;
  onConflict?: (attempt: number, outcome: string) => void;
}

export type ConditionalOutcome<S, R> =
  | ({ outcome: 'written' | 'unchanged'; result: R; attempts: number; conflicts: number } & ConditionalObject<S>)
  | { outcome: 'exhausted'; attempts: number; conflicts: number };

/**
 * The compare-and-swap loop every JSON object the pipeline shares is changed with: read → apply →
 * PutObject `If-None-Match: *` (first write) or `If-Match: <etag>`; on 412/409/404 re-read and
 * re-apply after a full-jitter exponential backoff. Gives up after `maxAttempts`, leaving the error
 * to the caller.
 *
 * A 412 does not prove that another writer won. The store retries a PutObject whose reply was lost
 * (a reset, a timeout); when the first attempt had landed, the retry's condition no longer holds and
 * it comes back 412. This loop then re-reads and runs `apply` on the state this writer itself just
 * wrote. So every `apply` must be idempotent on its own output: given a state that already holds
 * its change, it must not make the change again (it returns that state as it is, "no change").
 * The chaos campaign's 's3-write-reported-412' fault exercises exactly this.
 */
export async function updateConditionally<S, R>(store: ObjectStore, key: string, update: ConditionalUpdate<S, R>): Promise<ConditionalOutcome<S, R>> {
  const maxAttempts = Math.max(1, update.maxAttempts ?? 8);
  const baseDelayMs = update.baseDelayMs ?? 10;
  const maxDelayMs = update.maxDelayMs ?? 1000;
  const random = update.random ?? Math.random;
  const sleep = update.sleep ?? defaultSleep;
  let conflicts = 0;
  let known = update.known;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let current = known ?? (await update.read());
    let { next, result } = await update.apply(current, attempt);
    let fromKnown = known !== undefined;
    if (fromKnown && next === current.state) {
      current = await update.read();
      ({ next, result } = await update.apply(current, attempt));
      fromKnown = false;
    }
    known = undefined;
    if (next === current.state) return { outcome: 'unchanged', result, attempts: attempt, conflicts, ...current };
    const body = update.serialize(next);
    const written =
      current.etag === undefined
        ? await store.putIfAbsent(key, body, { contentType: 'application/json' })
        : await store.putIfMatch(key, body, current.etag, { contentType: 'application/json' });
    if (written.outcome === 'written') {
      update.onWritten?.(body.length);
      return { outcome: 'written', result, attempts: attempt, conflicts, state: next, etag: written.etag };
    }
    conflicts++;
    update.onConflict?.(attempt, written.outcome);
    // A write from a stale `known` lost to a write made before it, not to a racing one: read at once.
    if (attempt < maxAttempts && !fromKnown) await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
  }
  return { outcome: 'exhausted', attempts: maxAttempts, conflicts };
}

function defaultSleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
