/**
 * Running one compaction job, from its message to its commit (DESIGN.md, "Compactor"):
 *
 *   read the spec from the shard state ── not open? already committed: done
 *   read the sources ── corrupt ones are quarantined; the job goes on without them
 *   merge them into the block, write it under the job's key (same bytes on every attempt)
 *   L0→L1 only: evaluate the recorded rules snapshot on the block's series, write the export record once
 *   commit (compare-and-swap): job removed, sources tombstoned, block queued for the next level
 *   send undelivered export records; a failed send leaves them for the tick, the job stays done
 *
 * Every step is safe to repeat, so a crash anywhere is repaired by SQS redelivering the message.
 */
import type { MessageQueue, ObjectRange, ObjectStore } from '../aws/contract.js';
import { deliverExports, type DeliveryDeps } from '../export/delivery.js';
import { readChainView, writeExportRecord, type WrittenRecord } from '../export/chain.js';
import type { Logger } from '../log/logger.js';
import type { JobSpec } from '../metastore/types.js';
import { commitCompactedJob, readJobSpec, type CommitDeps } from '../plan/commit.js';
import { quarantineObject } from '../plan/quarantine.js';
import { RuleEvaluator } from '../rules/evaluate.js';
import { loadRulesSnapshot } from '../rules/snapshot.js';
import type { SeriesEntry } from '../segment/entry.js';
import { defaultWindowBytes, type RangedFile, type ReadLimits } from '../segment/format.js';
import { quarantineKeys } from '../segment/keys.js';
import { buildBlock, type SourceObject } from './block.js';
import { StoreBlockOutput } from './output.js';
import { SourceChangedError, SourceMissingError } from './errors.js';

/** Written into every block header; no version, so that a retry after an upgrade writes the same bytes. */
export const compactorCreatedBy = 'strata-compactor';

export interface CompactorDeps extends CommitDeps {
  store: ObjectStore;
  jobs: MessageQueue;
  logger: Logger;
  /** Remote-write delivery of export records; without it records wait for the tick. */
  delivery?: Omit<DeliveryDeps, 'store' | 'logger' | 'cas'>;
  readLimits?: Partial<ReadLimits>;
}

export interface JobRequest {
  tenant: string;
  shard: number;
  jobId: string;
  /** SQS ApproximateReceiveCount: 1 on the first attempt. */
  receiveCount: number;
}

export type CompactOutcome =
  | { outcome: 'already-committed' }
  | {
      outcome: 'committed' | 'committed-by-another';
      /** The output level: 1 for a job of L0 segments. */
      jobLevel: number;
      blockKey: string;
      sources: number;
      quarantined: string[];
      samplesIn: number;
      samplesOut: number;
      /**
       * Per source read, ms from its arrival (the createdAt of its header: the ingest time of a
       * segment) to the commit: the compaction lag of each segment of an L0 job.
       */
      sourceLagsMs: number[];
      exportRecord?: string;
    };

export async function compactJob(deps: CompactorDeps, request: JobRequest): Promise<CompactOutcome> {
  const { store, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const { tenant, shard, jobId } = request;
  const spec = await readJobSpec(store, tenant, shard, jobId);
  if (spec === undefined) {
    logger.info('job already committed', { tenant, shard, jobId });
    return { outcome: 'already-committed' };
  }
  const log = logger.child({ tenant, shard, jobId, jobLevel: spec.level });

  const { sources, alreadyQuarantined } = await readSources(store, spec);
  // Rules are evaluated on the series as they are written, so they see exactly the block, once.
  const snapshot = spec.level === 1 ? await loadRulesSnapshot(store, tenant, spec.rulesHash) : undefined;
  let evaluator: RuleEvaluator | undefined;
  const observe = snapshot !== undefined && snapshot.rules.length > 0 ? () => {
    const current = new RuleEvaluator(snapshot, { shard });
    evaluator = current;
    return (entry: SeriesEntry) => current.addEntry(entry);
  } : undefined;
  // What appending the export record reads does not depend on the block: read it meanwhile.
  const chainView = observe === undefined ? undefined : readChainView(store, tenant, shard, jobId);
  chainView?.catch(() => undefined); // awaited (and its error thrown) by writeExportRecord
  const block = await buildBlock(
    { tenant, shard, level: spec.level, id: spec.id, createdBy: compactorCreatedBy, createdAtMs: spec.ts },
    sources,
    new StoreBlockOutput(store, spec.outputKey),
    { ...(deps.readLimits ? { limits: deps.readLimits } : {}), ...(observe ? { observe } : {}) },
  );
  for (const { key, error } of block.rejected) {
    const outcome = await quarantineObject(store, key, `${error.name}: ${error.message}`, 'compactor', clock());
    log.warn('source quarantined', { segmentKey: key, reason: error.message, outcome });
  }
  log.info('block written', { blockKey: spec.outputKey, bytes: block.size, samplesIn: block.stats.samplesIn, samplesOut: block.stats.samplesOut });

  let exportRecord: WrittenRecord | undefined;
  if (snapshot !== undefined && evaluator !== undefined) {
    const oldestSource = Math.min(...block.sourceHeaders.map((header) => header.createdAtMs));
    exportRecord = await writeExportRecord({ store, logger: log }, spec, {
      snapshot,
      evaluation: evaluator.finish(),
      facts: {
        blocks: 1,
        segments: block.sources.length,
        samples: block.stats.samplesOut,
        failedAttempts: request.receiveCount - 1,
        lagMs: Math.max(0, clock() - oldestSource),
      },
    }, { advanceHead: deps.delivery === undefined, ...(chainView === undefined ? {} : { view: chainView }) });
  }

  const committed = await commitCompactedJob(deps, { tenant, shard, jobId, output: { size: block.size } });
  const committedAt = clock();
  if (deps.delivery !== undefined && exportRecord !== undefined) {
    try {
      const known = { record: exportRecord.record, state: exportRecord.deliveryState };
      const delivered = await deliverExports({ ...deps.delivery, store, logger: log, cas: deps.cas }, tenant, shard, known);
      log.info('exports delivered', { outcome: delivered.outcome, delivered: delivered.delivered, latest: delivered.latest });
    } catch (error) {
      log.warn('export delivery failed; the tick retries it', { error });
    }
  }
  return {
    outcome: committed.outcome === 'committed' ? 'committed' : 'committed-by-another',
    jobLevel: spec.level,
    blockKey: spec.outputKey,
    sources: block.sources.length,
    quarantined: [...alreadyQuarantined, ...block.rejected.map((rejected) => rejected.key)],
    samplesIn: block.stats.samplesIn,
    samplesOut: block.stats.samplesOut,
    sourceLagsMs: block.sourceHeaders.map((header) => Math.max(0, committedAt - header.createdAtMs)),
    ...(exportRecord === undefined ? {} : { exportRecord: exportRecord.key }),
  };
}

/**
 * Opens every source (its first window). A missing source that sits in quarantine was set aside by an earlier
 * attempt of this job; any other missing source fails the attempt (SQS retries it, then the DLQ).
 */
async function readSources(store: ObjectStore, spec: JobSpec): Promise<{ sources: SourceObject[]; alreadyQuarantined: string[] }> {
  // Each source's first window at once (an L0 segment is usually all of it); the rest as the merge needs it.
  const opened = await Promise.all(spec.sourceKeys.map(async (key) => ({ key, first: await store.getRange(key, 0, defaultWindowBytes) })));
  const sources: SourceObject[] = [];
  const alreadyQuarantined: string[] = [];
  for (const { key, first } of opened) {
    if (first !== undefined) {
      sources.push({ key, file: storedFile(store, spec, key, first) });
    } else if ((await store.head(quarantineKeys(key).objectKey)) !== undefined) {
      alreadyQuarantined.push(key);
    } else {
      throw new SourceMissingError(spec.tenant, spec.shard, spec.id, key);
    }
  }
  return { sources, alreadyQuarantined };
}

function storedFile(store: ObjectStore, spec: JobSpec, key: string, first: ObjectRange): RangedFile {
  return {
    size: first.size,
    start: first.body,
    async read(offset, length) {
      const range = await store.getRange(key, offset, length);
      if (range === undefined) throw new SourceMissingError(spec.tenant, spec.shard, spec.id, key);
      if (range.size !== first.size || range.body.length !== length) throw new SourceChangedError(spec.tenant, spec.shard, spec.id, key);
      return range.body;
    },
  };
}
