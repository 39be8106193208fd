/**
 * The delivery state of a (tenant, shard)'s export records, `exports/{tenant}/{shard}/delivery.json`,
 * changed only by compare-and-swap:
 *
 * - `delivered`: every record up to it was received, or superseded by a later one that was (records
 *   are running totals, so a delivered record n carries every count of records < n).
 * - `attempted`: the highest record whose send may have started. Nothing below it is ever sent
 *   again: the receiver may already hold its samples, and an older timestamp after a newer one is an
 *   out-of-order sample (Prometheus answers 400 and refuses the whole request).
 * - `lease`: who is sending. One sender per shard at a time keeps the records' order on the wire.
 * - `head`: the highest record known to exist, a hint for finding the latest one.
 * - `failures`, `lastError`: sends given up on, for status and self-metrics.
 */
import type { ObjectStore } from '../aws/contract.js';
import { updateConditionally, type CasOptions } from '../metastore/cas.js';
import { deliveryStateKey } from './keys.js';
import { ExportRecordError } from './errors.js';

export interface DeliveryState {
  v: 1;
  head: number;
  delivered: number;
  attempted: number;
  /** When `delivered` last advanced (clock of the sender). */
  deliveredAt: number | null;
  failures: number;
  lastError: { at: number; sequence: number; message: string; status: number | null } | null;
  lease: { holder: string; until: number } | null;
}

export const emptyDeliveryState: DeliveryState = {
  v: 1,
  head: 0,
  delivered: 0,
  attempted: 0,
  deliveredAt: null,
  failures: 0,
  lastError: null,
  lease: null,
};

export interface VersionedDeliveryState {
  state: DeliveryState;
  /** Undefined when the object does not exist yet. */
  etag: string | undefined;
}

export async function readDeliveryState(store: ObjectStore, tenant: string, shard: number): Promise<VersionedDeliveryState> {
  const key = deliveryStateKey(tenant, shard);
  const stored = await store.get(key);
  if (stored === undefined) return { state: emptyDeliveryState, etag: undefined };
  return { state: parseDeliveryState(stored.body, key), etag: stored.etag };
}

/**
 * Reads (or starts from `known`), applies and writes conditionally, re-reading on conflict. `apply`
 * returns the state it was given to change nothing. Throws ExportRecordError after `maxAttempts`
 * conflicts.
 */
export async function updateDeliveryState<R>(
  store: ObjectStore,
  tenant: string,
  shard: number,
  apply: (state: DeliveryState) => { next: DeliveryState; result: R },
  options: CasOptions & { known?: VersionedDeliveryState } = {},
): Promise<{ state: DeliveryState; etag: string | undefined; result: R; written: boolean }> {
  const key = deliveryStateKey(tenant, shard);
  const updated = await updateConditionally(store, key, {
    ...options,
    read: () => readDeliveryState(store, tenant, shard),
    serialize: (state) => new TextEncoder().encode(JSON.stringify(state)),
    apply: (current) => apply(current.state),
  });
  if (updated.outcome === 'exhausted') throw new ExportRecordError(`${key}: gave up after ${updated.attempts} conflicting updates`);
  return { state: updated.state, etag: updated.etag, result: updated.result, written: updated.outcome === 'written' };
}

function parseDeliveryState(body: Uint8Array, key: string): DeliveryState {
  let parsed: Partial<DeliveryState>;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body)) as Partial<DeliveryState>;
  } catch (cause) {
    throw new ExportRecordError(`${key} is not valid JSON`, { cause });
  }
  const counters = [parsed.head, parsed.delivered, parsed.attempted, parsed.failures];
  if (parsed.v !== 1 || !counters.every((n) => Number.isSafeInteger(n) && (n as number) >= 0)) {
    throw new ExportRecordError(`${key} is not a delivery state this code knows`);
  }
  return {
    v: 1,
    head: parsed.head!,
    delivered: parsed.delivered!,
    attempted: parsed.attempted!,
    deliveredAt: parsed.deliveredAt ?? null,
    failures: parsed.failures!,
    lastError: parsed.lastError ?? null,
    lease: parsed.lease ?? null,
  };
}
