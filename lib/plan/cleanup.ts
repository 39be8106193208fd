/**
 * Deleting the sources of committed jobs once their cleanup delay has passed, then dropping their
 * tombstones. Deletion always comes first: a tombstone leaves the state only when its objects are
 * gone, so an event or a listing that meets a source while it still exists finds it tombstoned.
 * Readers that meet a 404 re-list and find the block that replaced the object.
 */
import type { ObjectStore } from '../aws/contract.js';
import { dropTombstones, dueTombstones, tombstoneKeys } from '../metastore/transitions.js';
import type { ShardState } from '../metastore/types.js';

/** Default cleanup delay: how long committed sources stay readable. */
export const defaultCleanupDelayMs = 60_000;

/** One DeleteObjects call's worth, so a commit never waits on more than one. */
export const maxCleanupKeysPerPass = 1000;

/**
 * For use inside a state update: deletes the objects of due tombstones (skipping those this
 * operation already deleted, listed in `deleted`) and returns the state without them. Deleting is
 * idempotent and valid whichever attempt wins, since the tombstones are already committed.
 */
export async function cleanUpDueTombstones(
  store: ObjectStore,
  state: ShardState,
  now: number,
  cleanupDelayMs: number,
  deleted: Set<string>,
  maxKeys = maxCleanupKeysPerPass,
): Promise<{ state: ShardState; dropped: string[]; deletedKeys: number }> {
  const due = dueTombstones(state, now, cleanupDelayMs);
  const dropped: string[] = [];
  const keys: string[] = [];
  for (const tombstone of due) {
    if (deleted.has(tombstone.jobId)) {
      dropped.push(tombstone.jobId);
      continue;
    }
    const tombstoneObjects = tombstoneKeys(state, tombstone);
    if (keys.length > 0 && keys.length + tombstoneObjects.length > maxKeys) break;
    keys.push(...tombstoneObjects);
    dropped.push(tombstone.jobId);
  }
  if (dropped.length === 0) return { state, dropped, deletedKeys: 0 };
  if (keys.length > 0) await store.deleteMany(keys);
  for (const jobId of dropped) deleted.add(jobId);
  return { state: dropTombstones(state, dropped), dropped, deletedKeys: keys.length };
}
