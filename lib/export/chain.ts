/**
 * Appending to a (tenant, shard)'s chain of export records, and finding a job's record again.
 *
 * `writeExportRecord` is idempotent per job id. A job first names the record it is about to write in
 * its claim (`exports/…/jobs/{jobId}.json`, overwritten by each attempt), then writes the record
 * create-if-absent. A retry reads the claim and that record (two GETs) and normally gets the same
 * record back, however many records other jobs appended since (a job redriven from the DLQ hours
 * later included). When the claim does not lead to the job's record — none yet, the record of
 * another job (an attempt lost a race), or a missing one — the job looks through the records whose
 * timestamps are not older than its own before appending: a record's timestamp is at least its
 * job's, and timestamps increase along the chain, so its record can be nowhere else. That covers
 * two attempts of one job that overlap (a message visible again while its first attempt still runs)
 * with other jobs appending in between, where the claim one attempt read no longer tells.
 *
 * Records are only appended (n+1 after reading n), so they are dense: the latest is found by
 * probing upwards from the delivery state's hint. Only L1 jobs append, and the compactor runs one
 * L1 job per shard at a time; concurrent appenders are still safe (create-if-absent decides; the
 * loser re-reads and re-appends).
 *
 * Records of jobs that are still open are never pruned: a claim naming a missing record therefore
 * always means "not this job's".
 */
import type { ObjectStore } from '../aws/contract.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { JobSpec } from '../metastore/types.js';
import type { RuleEvaluation } from '../rules/evaluate.js';
import type { RulesSnapshot } from '../rules/types.js';
import { ExportConflictError, ExportRecordError } from './errors.js';
import { exportClaimKey, exportClaimPrefix, exportKey, exportPrefix, recordSequence } from './keys.js';
import { nextRecord, parseRecord, serializeRecord, type ExportRecord, type JobFacts } from './record.js';
import { readDeliveryState, updateDeliveryState, type DeliveryState, type VersionedDeliveryState } from './state.js';

export interface ExportStoreDeps {
  store: ObjectStore;
  logger?: Logger;
}

/** The fields of a job spec that an export record depends on. */
export type ExportJob = Pick<JobSpec, 'tenant' | 'shard' | 'id' | 'ts' | 'rulesHash'>;

export interface ExportInput {
  /** The snapshot named by the job's rulesHash (loadRulesSnapshot). */
  snapshot: RulesSnapshot;
  /** evaluateRules / RuleEvaluator over the job's merged series. */
  evaluation: RuleEvaluation;
  facts?: JobFacts;
}

export interface WrittenRecord {
  /** `existing`: an earlier attempt of the job wrote it; it is returned as stored. */
  outcome: 'written' | 'existing';
  key: string;
  record: ExportRecord;
  /** The delivery state as read before appending, for a delivery that follows (DeliveryStart). */
  deliveryState: VersionedDeliveryState;
}

export interface WriteRecordOptions {
  /**
   * Move the delivery state's `head` hint to the new record. Default true; a caller that delivers
   * right after passes false, since taking the send lease moves the hint in the same write.
   */
  advanceHead?: boolean;
  /** The chain as read earlier (readChainView), instead of reading it now. */
  view?: Promise<ChainView>;
}

/**
 * What appending a job's record reads before it writes. None of it depends on the job's results, so
 * the compactor reads it while the block is built. Stale by the time of the append, it is no worse
 * than a slow appender's reads: the create-if-absent write decides, and the loser reads again.
 */
export type ChainView = { deliveryState: VersionedDeliveryState } & (
  | { /** An earlier attempt of the job wrote its record. */ existing: ExportRecord }
  | { existing: undefined; latest: number; /** Record `latest`. */ previous: ExportRecord | undefined }
);

export async function readChainView(store: ObjectStore, tenant: string, shard: number, jobId: string): Promise<ChainView> {
  const existing = await findJobRecord(store, tenant, shard, jobId);
  const deliveryState = await readDeliveryState(store, tenant, shard);
  if (existing !== undefined) return { existing, deliveryState };
  const latest = await findLatestSequence(store, tenant, shard, deliveryState.state);
  const previous = latest === 0 ? undefined : await readExportRecord(store, tenant, shard, latest);
  return { existing, deliveryState, latest, previous };
}

const maxAppendAttempts = 8;

export async function readExportRecord(store: ObjectStore, tenant: string, shard: number, sequence: number): Promise<ExportRecord | undefined> {
  const key = exportKey(tenant, shard, sequence);
  const stored = await store.get(key);
  if (stored === undefined) return undefined;
  const record = parseRecord(stored.body, key);
  if (record.tenant !== tenant || record.shard !== shard || record.sequence !== sequence) {
    throw new ExportRecordError(`${key} names tenant ${record.tenant}, shard ${record.shard}, sequence ${record.sequence}`);
  }
  return record;
}

/** The record a job wrote, or undefined when it has none. */
export async function findJobRecord(store: ObjectStore, tenant: string, shard: number, jobId: string): Promise<ExportRecord | undefined> {
  const claim = await store.get(exportClaimKey(tenant, shard, jobId));
  if (claim === undefined) return undefined;
  const sequence = parseClaim(claim.body, jobId);
  const record = await readExportRecord(store, tenant, shard, sequence);
  return record?.jobId === jobId ? record : undefined;
}

/**
 * The highest record sequence (0 when there is none). Probes upwards from the state's hint or
 * `atLeast` (a record known to exist), doubling the step, then bisects; without either (no
 * delivery state yet) it lists the prefix.
 */
export async function findLatestSequence(store: ObjectStore, tenant: string, shard: number, state?: DeliveryState, atLeast = 0): Promise<number> {
  const exists = async (sequence: number) => (await store.head(exportKey(tenant, shard, sequence))) !== undefined;
  let low = Math.max(atLeast, state === undefined ? 0 : Math.max(state.head, state.delivered, state.attempted));
  if (low === 0) {
    const prefix = exportPrefix(tenant, shard);
    for await (const info of store.list(prefix)) low = Math.max(low, recordSequence(info.key, prefix) ?? 0);
  }
  let step = 1;
  let high = low + step;
  while (await exists(high)) {
    low = high;
    step *= 2;
    high = low + step;
  }
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (await exists(middle)) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * Writes the job's export record once: record n = record n−1 + the job's increments. A retry of the
 * same job (same id) gets the record its earlier attempt wrote, unchanged, wherever it is in the
 * chain. Call it after the job's block is written and before the job is committed.
 */
export async function writeExportRecord(deps: ExportStoreDeps, job: ExportJob, input: ExportInput, options: WriteRecordOptions = {}): Promise<WrittenRecord> {
  const { store } = deps;
  const logger = deps.logger ?? silentLogger;
  const { tenant, shard, id: jobId } = job;
  if (input.snapshot.hash !== job.rulesHash || input.evaluation.rulesHash !== job.rulesHash) {
    throw new ExportRecordError(`job ${jobId} was cut with rules ${job.rulesHash}, but evaluated with ${input.evaluation.rulesHash} (snapshot ${input.snapshot.hash})`);
  }
  if (input.evaluation.shard !== shard) throw new ExportRecordError(`job ${jobId} is on shard ${shard}, but was evaluated for shard ${input.evaluation.shard}`);

  const view = await (options.view ?? readChainView(store, tenant, shard, jobId));
  if (view.existing !== undefined) return found(view.existing);

  const { deliveryState } = view;
  const { state } = deliveryState;
  let latest = view.latest;
  /** Records up to this one are known not to be this job's. */
  let checked = 0;
  for (let attempt = 1; attempt <= maxAppendAttempts; attempt++) {
    const previous = attempt === 1 ? view.previous : latest === 0 ? undefined : await readExportRecord(store, tenant, shard, latest);
    if (latest > 0 && previous === undefined) throw new ExportRecordError(`record ${exportKey(tenant, shard, latest)} vanished while appending`);
    // An overlapping attempt of this very job may have appended, and other jobs after it.
    let sequence = latest;
    let earlier = previous;
    while (earlier !== undefined && earlier.ts >= job.ts) {
      if (earlier.jobId === jobId) return found(earlier);
      earlier = --sequence > checked ? await readExportRecord(store, tenant, shard, sequence) : undefined;
    }
    checked = latest;
    const record = nextRecord(previous, {
      tenant,
      shard,
      jobId,
      jobTs: job.ts,
      snapshot: input.snapshot,
      evaluation: input.evaluation,
      ...(input.facts === undefined ? {} : { facts: input.facts }),
      exportFailures: state.failures,
    });
    const key = exportKey(tenant, shard, record.sequence);
    await store.put(exportClaimKey(tenant, shard, jobId), claimBody(jobId, record.sequence), { contentType: 'application/json' });
    const outcome = await store.putIfAbsent(key, serializeRecord(record), { contentType: 'application/json' });
    if (outcome.outcome === 'written') {
      logger.info('export record written', { tenant, shard, jobId, sequence: record.sequence, ts: record.ts, series: record.series.length });
      if (options.advanceHead ?? true) await advanceHead(store, tenant, shard, record.sequence, logger);
      return { outcome: 'written', key, record, deliveryState };
    }
    const winner = await readExportRecord(store, tenant, shard, record.sequence);
    if (winner?.jobId === jobId) return found(winner);
    logger.warn('export record taken by another job, re-appending', { tenant, shard, jobId, sequence: record.sequence, winner: winner?.jobId });
    latest = await findLatestSequence(store, tenant, shard, state, record.sequence);
  }
  throw new ExportConflictError(tenant, shard, jobId, maxAppendAttempts);

  function found(record: ExportRecord): WrittenRecord {
    if (record.rulesHash !== job.rulesHash) {
      logger.warn('existing export record was written with other rules', { tenant, shard, jobId, recordRules: record.rulesHash, jobRules: job.rulesHash });
    }
    return { outcome: 'existing', key: exportKey(tenant, shard, record.sequence), record, deliveryState: view.deliveryState };
  }
}

/** Best effort: keeps the hint close so the next append probes once. A lost race is harmless. */
async function advanceHead(store: ObjectStore, tenant: string, shard: number, sequence: number, logger: Logger): Promise<void> {
  try {
    await updateDeliveryState(
      store,
      tenant,
      shard,
      (state) => ({ next: state.head >= sequence ? state : { ...state, head: sequence }, result: undefined }),
      { maxAttempts: 2 },
    );
  } catch (error) {
    logger.debug('export head hint not advanced', { tenant, shard, sequence, error });
  }
}

export interface PruneOptions {
  /** Ids of the shard's open jobs, read from its state at `asOf`. Their records and claims are kept. */
  openJobIds: ReadonlySet<string>;
  /** When the open job ids were read. Objects written after asOf − marginMs are kept whatever they are. */
  asOf: number;
  /** Delivered records kept below the watermark. Default 16. */
  keep?: number;
  /** Default 10 minutes: covers clock skew between this process and S3. */
  marginMs?: number;
}

/**
 * Deletes delivered records older than the last `keep` ones and claims of jobs no longer open. For
 * the tick. Never deletes a record of an open job, an undelivered record, or anything recent.
 */
export async function pruneExports(deps: ExportStoreDeps, tenant: string, shard: number, options: PruneOptions): Promise<string[]> {
  const { store } = deps;
  const keep = options.keep ?? 16;
  const cutoff = options.asOf - (options.marginMs ?? 600_000);
  const { state } = await readDeliveryState(store, tenant, shard);
  const below = state.delivered - keep;
  if (below <= 0) return [];
  const isOld = (lastModified: Date | undefined) => lastModified !== undefined && lastModified.getTime() < cutoff;
  const protectedSequences = new Set<number>();
  const claims: string[] = [];
  for await (const info of store.list(exportClaimPrefix(tenant, shard))) {
    const jobId = info.key.slice(exportClaimPrefix(tenant, shard).length, -'.json'.length);
    if (options.openJobIds.has(jobId) || !isOld(info.lastModified)) {
      const claim = await store.get(info.key);
      if (claim !== undefined) protectedSequences.add(parseClaim(claim.body, jobId));
    } else {
      claims.push(info.key);
    }
  }
  const records: string[] = [];
  const prefix = exportPrefix(tenant, shard);
  for await (const info of store.list(prefix)) {
    const sequence = recordSequence(info.key, prefix);
    if (sequence !== undefined && sequence < below && !protectedSequences.has(sequence) && isOld(info.lastModified)) records.push(info.key);
  }
  const keys = [...records, ...claims];
  if (keys.length > 0) {
    await store.deleteMany(keys);
    (deps.logger ?? silentLogger).info('export records pruned', { tenant, shard, records: records.length, claims: claims.length });
  }
  return keys;
}

function claimBody(jobId: string, sequence: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: 1, jobId, sequence }));
}

function parseClaim(body: Uint8Array, jobId: string): number {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { v?: unknown; jobId?: unknown; sequence?: unknown };
    if (parsed.v === 1 && parsed.jobId === jobId && Number.isSafeInteger(parsed.sequence) && (parsed.sequence as number) > 0) return parsed.sequence as number;
  } catch {
    // fall through
  }
  throw new ExportRecordError(`the export claim of job ${jobId} is malformed`);
}
