/**
 * Keys of the export outbox besides the records themselves (`exportKey` in lib/segment/keys.ts):
 *
 *   exports/{tenant}/{shard}/{seq:16}.json       record `seq` (exportKey)
 *   exports/{tenant}/{shard}/jobs/{jobId}.json   which record a job claimed (finds a retried job's record)
 *   exports/{tenant}/{shard}/delivery.json       delivered/attempted watermarks and the sender's lease
 *
 * They belong with the other key builders in lib/segment/keys.ts; they live here until that move.
 */
import { assertValidTenant, exportKey, maxShards } from '../segment/keys.js';

const sequenceFile = /^(\d{16})\.json$/;
const jobIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function exportPrefix(tenant: string, shard: number): string {
  assertValidTenant(tenant);
  if (!Number.isInteger(shard) || shard < 0 || shard >= maxShards) throw new RangeError(`bad shard ${shard}`);
  return `exports/${tenant}/${shard}/`;
}

export function exportClaimPrefix(tenant: string, shard: number): string {
  return `${exportPrefix(tenant, shard)}jobs/`;
}

export function exportClaimKey(tenant: string, shard: number, jobId: string): string {
  if (!jobIdPattern.test(jobId)) throw new RangeError(`job id ${JSON.stringify(jobId)} is not valid`);
  return `${exportClaimPrefix(tenant, shard)}${jobId}.json`;
}

export function deliveryStateKey(tenant: string, shard: number): string {
  return `${exportPrefix(tenant, shard)}delivery.json`;
}

/** The sequence number of a record key under `exportPrefix`, or undefined for other keys. */
export function recordSequence(key: string, prefix: string): number | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const found = sequenceFile.exec(key.slice(prefix.length));
  return found === null ? undefined : Number(found[1]);
}

export { exportKey };
