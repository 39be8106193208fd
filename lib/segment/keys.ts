/**
 * The object key layout, built and parsed in this one place (see DESIGN.md, "Objects"):
 *
 *   segments/{tenant}/{shard}/{ulid}.seg      blocks/{tenant}/{shard}/L{level}/{id}.blk
 *   state/{tenant}/{shard}.json               exports/{tenant}/{shard}/{seq}.json
 *   quarantine/{original key}                 quarantine/{original key}.report.json
 */
import { InvalidKeyError, InvalidTenantError } from './errors.js';

export const maxTenantLength = 150;
/** Shards are numbered 0 .. maxShards-1. */
export const maxShards = 65536;
export const maxLevel = 9;

const tenantPattern = /^[A-Za-z0-9_.-]+$/;
const ulidPattern = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const blockIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const shardPattern = /^(0|[1-9][0-9]{0,4})$/;

export const defaultTenant = 'anonymous';

/** Why a tenant id cannot be used, or undefined when it can. It becomes part of object keys. */
export function tenantProblem(tenant: string): string | undefined {
  if (tenant === '') return 'the tenant id is empty';
  if (tenant.length > maxTenantLength) return `the tenant id is longer than ${maxTenantLength} characters`;
  if (!tenantPattern.test(tenant)) return 'the tenant id may contain only letters, digits, "_", "-" and "."';
  if (tenant === '.' || tenant === '..') return `the tenant id "${tenant}" is reserved`;
  if (tenant.startsWith('__')) return 'tenant ids starting with "__" are reserved';
  return undefined;
}

export function assertValidTenant(tenant: string): void {
  const problem = tenantProblem(tenant);
  if (problem !== undefined) throw new InvalidTenantError(problem, tenant);
}

function assertShard(shard: number): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= maxShards) {
    throw new RangeError(`shard must be an integer from 0 to ${maxShards - 1}, got ${shard}`);
  }
}

function assertLevel(level: number): void {
  if (!Number.isInteger(level) || level < 1 || level > maxLevel) {
    throw new RangeError(`block level must be an integer from 1 to ${maxLevel}, got ${level}`);
  }
}

export function isUlid(id: string): boolean {
  return ulidPattern.test(id);
}

export function segmentKey(tenant: string, shard: number, ulid: string): string {
  assertValidTenant(tenant);
  assertShard(shard);
  if (!isUlid(ulid)) throw new RangeError(`segment id must be a ULID, got ${JSON.stringify(ulid)}`);
  return `segments/${tenant}/${shard}/${ulid}.seg`;
}

export function blockKey(tenant: string, shard: number, level: number, id: string): string {
  assertValidTenant(tenant);
  assertShard(shard);
  assertLevel(level);
  if (!blockIdPattern.test(id)) throw new RangeError(`block id ${JSON.stringify(id)} is not a valid id`);
  return `blocks/${tenant}/${shard}/L${level}/${id}.blk`;
}

export function stateKey(tenant: string, shard: number): string {
  assertValidTenant(tenant);
  assertShard(shard);
  return `state/${tenant}/${shard}.json`;
}

/** Export records are numbered per shard; the number is zero-padded so keys list in order. */
export function exportKey(tenant: string, shard: number, sequence: number): string {
  assertValidTenant(tenant);
  assertShard(shard);
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`bad export sequence ${sequence}`);
  return `exports/${tenant}/${shard}/${String(sequence).padStart(16, '0')}.json`;
}

/** Where a rejected object is moved, and where the report saying why is written beside it. */
export function quarantineKeys(originalKey: string): { objectKey: string; reportKey: string } {
  const objectKey = `quarantine/${originalKey}`;
  return { objectKey, reportKey: `${objectKey}.report.json` };
}

export const prefixes = {
  segments: 'segments/',
  blocks: 'blocks/',
  state: 'state/',
  exports: 'exports/',
  quarantine: 'quarantine/',
} as const;

export interface SegmentKey {
  kind: 'segment';
  key: string;
  tenant: string;
  shard: number;
  id: string;
}

export interface BlockKey {
  kind: 'block';
  key: string;
  tenant: string;
  shard: number;
  level: number;
  id: string;
}

export type DataKey = SegmentKey | BlockKey;

/** Parses a segment or block key; throws InvalidKeyError saying which part is wrong. */
export function parseDataKey(key: string): DataKey {
  const parts = key.split('/');
  const [root, tenant = '', shardText = ''] = parts;
  const fail = (why: string): never => {
    throw new InvalidKeyError(`${JSON.stringify(key)} is not a Strata data key: ${why}`, key);
  };
  if (root !== 'segments' && root !== 'blocks') fail('it must start with segments/ or blocks/');
  const tenantIssue = tenantProblem(tenant);
  if (tenantIssue !== undefined) fail(tenantIssue);
  if (!shardPattern.test(shardText) || Number(shardText) >= maxShards) {
    fail(`the shard ${JSON.stringify(shardText)} must be a number from 0 to ${maxShards - 1} without leading zeros`);
  }
  const shard = Number(shardText);
  if (root === 'segments') {
    const file = parts[3] ?? '';
    if (parts.length !== 4) fail('expected segments/{tenant}/{shard}/{ulid}.seg');
    if (!file.endsWith('.seg')) fail('a segment file name must end in .seg');
    const id = file.slice(0, -'.seg'.length);
    if (!isUlid(id)) fail(`the segment id ${JSON.stringify(id)} is not a ULID (26 characters, Crockford base32, upper case)`);
    return { kind: 'segment', key, tenant, shard, id };
  }
  const levelText = parts[3] ?? '';
  const file = parts[4] ?? '';
  if (parts.length !== 5) fail('expected blocks/{tenant}/{shard}/L{level}/{id}.blk');
  const level = /^L[1-9]$/.test(levelText) ? Number(levelText.slice(1)) : fail('the level must be L1 to L9');
  if (!file.endsWith('.blk')) fail('a block file name must end in .blk');
  const id = file.slice(0, -'.blk'.length);
  if (!blockIdPattern.test(id)) fail(`the block id ${JSON.stringify(id)} is not valid`);
  return { kind: 'block', key, tenant, shard, level, id };
}

/** Parses `state/{tenant}/{shard}.json`, or returns undefined for any other key. */
export function parseStateKey(key: string): { tenant: string; shard: number } | undefined {
  const match = /^state\/([^/]+)\/(0|[1-9][0-9]{0,4})\.json$/.exec(key);
  if (match === null) return undefined;
  const tenant = match[1]!;
  const shard = Number(match[2]);
  if (tenantProblem(tenant) !== undefined || shard >= maxShards) return undefined;
  return { tenant, shard };
}

/** Decodes a key from an S3 event notification: URL-encoded, with "+" standing for a space. */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}
