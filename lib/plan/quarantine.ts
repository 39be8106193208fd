/**
 * Moving a rejected object to quarantine/: copy it, write a JSON report beside it saying why,
 * then delete the original. Idempotent: a repeated call (a redelivered event) finds the original
 * gone and the quarantined copy present, and does nothing.
 */
import type { ObjectStore } from '../aws/contract.js';
import { quarantineKeys } from '../segment/keys.js';
import { QuarantineError } from './errors.js';

export interface QuarantineReport {
  key: string;
  reason: string;
  /** Which component rejected it: 'planner', 'tick', 'compactor'. */
  rejectedBy: string;
  at: string;
  size?: number;
  etag?: string;
}

export type QuarantineOutcome = 'quarantined' | 'already-quarantined' | 'missing';

export async function quarantineObject(
  store: ObjectStore,
  key: string,
  reason: string,
  rejectedBy: string,
  now: number = Date.now(),
): Promise<QuarantineOutcome> {
  const { objectKey, reportKey } = quarantineKeys(key);
  try {
    const original = await store.head(key);
    if (original === undefined) {
      return (await store.head(objectKey)) === undefined ? 'missing' : 'already-quarantined';
    }
    await store.copy(key, objectKey);
    const report: QuarantineReport = { key, reason, rejectedBy, at: new Date(now).toISOString(), size: original.size, etag: original.etag };
    await store.put(reportKey, new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n'), { contentType: 'application/json' });
    await store.deleteMany([key]);
    return 'quarantined';
  } catch (error) {
    throw new QuarantineError(`could not move ${key} to quarantine: ${(error as Error).message}`, key, { cause: error });
  }
}
