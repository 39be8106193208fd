/**
 * The shard state's stored form: compact JSON, versioned by `v`, validated on every read so that
 * a hand-edited or truncated object is refused (StateCorruptError) instead of being rewritten.
 */
import { randomBytes } from 'node:crypto';
import { stateKey } from '../segment/keys.js';
import { StateCorruptError, UnsupportedStateVersionError } from './errors.js';
import { stateSchemaVersion, type OpenJob, type PendingSegment, type ShardState, type Tombstone, type WaitingBlock } from './types.js';

export function newGeneration(): string {
  return randomBytes(4).toString('hex');
}

export function emptyState(tenant: string, shard: number, generation: string = newGeneration()): ShardState {
  return {
    v: stateSchemaVersion,
    tenant,
    shard,
    generation,
    nextSequence: 0,
    lastJobTs: 0,
    pending: [],
    waiting: [],
    jobs: [],
    tombstones: [],
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Field order is fixed by construction (`emptyState` and the transitions), so equal states serialize equally. */
export function serializeState(state: ShardState): Uint8Array {
  return encoder.encode(JSON.stringify(state));
}

export function parseState(bytes: Uint8Array, tenant: string, shard: number): ShardState {
  const key = stateKey(tenant, shard);
  const fail = (why: string, cause?: unknown): never => {
    throw new StateCorruptError(why, tenant, shard, key, cause === undefined ? undefined : { cause });
  };
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    return fail('not valid UTF-8 JSON', cause);
  }
  if (!isRecord(value)) return fail('not a JSON object');
  if (value['v'] !== stateSchemaVersion) {
    if (typeof value['v'] === 'number' && value['v'] > stateSchemaVersion) {
      throw new UnsupportedStateVersionError(
        `schema version ${value['v']} is newer than this code's ${stateSchemaVersion}`,
        tenant,
        shard,
        key,
      );
    }
    return fail(`unknown schema version ${JSON.stringify(value['v'])}`);
  }
  const problem = stateProblem(value);
  if (problem !== undefined) return fail(problem);
  const state = value as unknown as ShardState;
  if (state.tenant !== tenant || state.shard !== shard) {
    return fail(`it describes ${state.tenant}/${state.shard}, not ${tenant}/${shard}`);
  }
  return state;
}

/** Why a parsed value is not a valid state, or undefined. Checks types and the orderings transitions rely on. */
export function stateProblem(value: Record<string, unknown>): string | undefined {
  if (typeof value['tenant'] !== 'string') return 'tenant is not a string';
  if (!isCount(value['shard'])) return 'shard is not a non-negative integer';
  if (typeof value['generation'] !== 'string' || value['generation'] === '') return 'generation is missing';
  if (!isCount(value['nextSequence'])) return 'nextSequence is not a non-negative integer';
  if (!isCount(value['lastJobTs'])) return 'lastJobTs is not a non-negative integer';
  const lists = ['pending', 'waiting', 'jobs', 'tombstones'] as const;
  for (const name of lists) {
    if (!Array.isArray(value[name])) return `${name} is not an array`;
  }
  const pending = value['pending'] as unknown[];
  for (const [i, item] of pending.entries()) {
    if (!isPending(item)) return `pending[${i}] is malformed`;
    if (i > 0 && (pending[i - 1] as PendingSegment).id >= item.id) return 'pending is not sorted by id';
  }
  const waiting = value['waiting'] as unknown[];
  for (const [i, item] of waiting.entries()) {
    if (!isWaiting(item)) return `waiting[${i}] is malformed`;
  }
  const jobs = value['jobs'] as unknown[];
  for (const [i, item] of jobs.entries()) {
    if (!isJob(item)) return `jobs[${i}] is malformed`;
    if (item.sequence >= (value['nextSequence'] as number)) return `jobs[${i}] has a sequence not below nextSequence`;
    if (i > 0 && (jobs[i - 1] as OpenJob).sequence >= item.sequence) return 'jobs are not sorted by sequence';
  }
  const tombstones = value['tombstones'] as unknown[];
  for (const [i, item] of tombstones.entries()) {
    if (!isTombstone(item)) return `tombstones[${i}] is malformed`;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isLevel(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 9;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isIdList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every(isId);
}

function isPending(value: unknown): value is PendingSegment {
  return isRecord(value) && isId(value['id']) && isCount(value['size']) && isCount(value['createdAt']);
}

function isWaiting(value: unknown): value is WaitingBlock {
  return isRecord(value) && isLevel(value['level']) && isId(value['id']) && isCount(value['size']) && isCount(value['createdAt']);
}

function isJob(value: unknown): value is OpenJob {
  return (
    isRecord(value) &&
    isId(value['id']) &&
    isLevel(value['level']) &&
    (value['level'] as number) >= 1 &&
    isCount(value['sequence']) &&
    isIdList(value['sources']) &&
    isCount(value['bytes']) &&
    isCount(value['ts']) &&
    typeof value['rulesHash'] === 'string' &&
    isCount(value['cutAt']) &&
    (value['dispatchedAt'] === null || isCount(value['dispatchedAt'])) &&
    isCount(value['dispatches']) &&
    typeof value['final'] === 'boolean'
  );
}

function isTombstone(value: unknown): value is Tombstone {
  return isRecord(value) && isId(value['jobId']) && isLevel(value['level']) && isIdList(value['sources']) && isCount(value['at']);
}
