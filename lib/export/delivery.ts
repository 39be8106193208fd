/**
 * Sending a (tenant, shard)'s export records to the remote-write endpoint, in order, once each
 * where possible and never out of order (see state.ts for the watermarks).
 *
 * 0. Find the latest record L. Nothing above `delivered`: return without writing anything.
 * 1. Take the shard's send lease (compare-and-swap on delivery.json) and, in the same write, set
 *    `attempted = L`. Someone else holding it → 'busy': that sender, or the next tick, delivers this
 *    record too.
 * 2. Then send the undelivered records from max(delivered + 1, attempted) up to L in order,
 *    one record per request (a request has one sample per series, so a retry of the whole request
 *    is an exact resend, which receivers accept; two samples of a series in one request would turn
 *    a retry into an out-of-order sample). Older undelivered records beyond the backlog limits are
 *    skipped: L carries their counts.
 * 3. A record refused for good (4xx, or labels a receiver would refuse) that is not L is skipped
 *    the same way. L refused, or the endpoint unavailable or misconfigured, counts a failure and
 *    leaves the records undelivered (compaction is not undone); the next call retries from L.
 * 4. Look again in case a newer record appeared meanwhile; `delivered = L`, and release the lease in
 *    the same write when there is none (otherwise go round again, at most three times).
 *
 * While the lease is held every request has a deadline a margin before the lease ends, so nothing
 * of an expired holder is in flight when another sender starts. That rests on time: clocks agree
 * within the margin, and no receiver applies a request later than the margin after its sender gave
 * up on it. Should both fail, the late request carries an older record, and records never change:
 * the receiver sees an out-of-order sample (refused, or kept as history with an out-of-order
 * window), never a second value for a series and timestamp.
 */
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../aws/contract.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { CasOptions } from '../metastore/cas.js';
import type { MetricMetadataInput, TimeSeriesInput } from '../remotewrite/encode.js';
import type { SendOptions, SendResult } from '../remotewrite/client.js';
import type { TenantRouting } from '../remotewrite/config.js';
import { RemoteWriteError, RemoteWriteLabelError, RemoteWriteRejectedError, RemoteWriteUnavailableError } from '../remotewrite/errors.js';
import { selfMetrics } from '../remotewrite/self-metrics.js';
import { ruleIdLabel, shardLabel } from '../rules/types.js';
import { metricNameLabel, sortLabels, type Label } from '../segment/labels.js';
import { findLatestSequence, readExportRecord } from './chain.js';
import type { ExportRecord } from './record.js';
import { readDeliveryState, updateDeliveryState, type DeliveryState, type VersionedDeliveryState } from './state.js';

/** What delivery needs of the remote-write client. */
export interface RemoteWriteSender {
  send(series: readonly TimeSeriesInput[], options?: SendOptions & { metadata?: readonly MetricMetadataInput[] }): Promise<SendResult>;
}

export interface DeliveryDeps {
  store: ObjectStore;
  client: RemoteWriteSender;
  tenantRouting: TenantRouting;
  /** Send the pipeline's counters with each record. Default true. */
  selfMetrics?: boolean;
  logger?: Logger;
  clock?: () => number;
  /** The compare-and-swap loop on delivery.json: attempts, and its jitter and sleep for backoffs. */
  cas?: CasOptions;
  /** Identifies this sender in the lease; random by default (it is never a label). */
  holder?: string;
  /** Default 60 s. */
  leaseMs?: number;
  /** Requests end this long before the lease does. Default 5 s. */
  marginMs?: number;
  /** At most this many records per call, the latest included. Default 10. */
  maxBacklogRecords?: number;
  /** Undelivered records older than the latest by more than this are skipped. Default 30 min. */
  maxBacklogAgeMs?: number;
  /** Default 2000. */
  maxSeriesPerRequest?: number;
}

export interface DeliveryResult {
  outcome: 'up-to-date' | 'delivered' | 'busy' | 'failed';
  latest: number;
  delivered: number;
  /** Records sent by this call, in order. */
  sent: number[];
  /** Undelivered records not sent because a later one carries their counts. */
  skipped: number[];
  error?: Error;
}

export interface ExportStatus {
  latest: number;
  delivered: number;
  undelivered: number;
  failures: number;
  lastError: DeliveryState['lastError'];
  deliveredAt: number | null;
  lease: DeliveryState['lease'];
}

const maxRounds = 3;

/** Where a shard's exports stand, for status and for the tick to decide whether to deliver. */
export async function exportStatus(store: ObjectStore, tenant: string, shard: number): Promise<ExportStatus> {
  const { state } = await readDeliveryState(store, tenant, shard);
  const latest = await findLatestSequence(store, tenant, shard, state);
  return {
    latest,
    delivered: state.delivered,
    undelivered: Math.max(0, latest - state.delivered),
    failures: state.failures,
    lastError: state.lastError,
    deliveredAt: state.deliveredAt,
    lease: state.lease,
  };
}

/** What a caller already knows, to save reads; either may be stale, which costs a conflict, not safety. */
export interface DeliveryStart {
  /** The delivery state as the caller last read it. */
  state?: VersionedDeliveryState;
  /** A record the caller holds (the compactor: the one it just wrote). */
  record?: ExportRecord;
}

type LeaseWrite = { kind: 'busy' } | { kind: 'lost' } | { kind: 'delivered-by-another' } | { kind: 'held'; from: number; delivered: number };

/**
 * Delivers the shard's undelivered records. Never throws for a failed send (the outcome says
 * 'failed' and the records stay undelivered); throws only for storage errors.
 *
 * In the common case (one new record, nobody else sending, the compactor's DeliveryStart given)
 * that is a HEAD to find the latest record, one write that takes the lease and marks the record
 * attempted, the request, a HEAD to look for a newer record, and one write that marks it delivered
 * and releases the lease. Without a DeliveryStart (the tick) it first reads the state, and the record.
 */
export async function deliverExports(deps: DeliveryDeps, tenant: string, shard: number, start: DeliveryStart = {}): Promise<DeliveryResult> {
  const { store } = deps;
  const logger = (deps.logger ?? silentLogger).child({ tenant, shard });
  const clock = deps.clock ?? Date.now;
  const holder = deps.holder ?? randomUUID();
  const leaseMs = deps.leaseMs ?? 60_000;
  const marginMs = deps.marginMs ?? 5_000;
  const maxBacklogRecords = Math.max(1, deps.maxBacklogRecords ?? 10);
  const maxBacklogAgeMs = deps.maxBacklogAgeMs ?? 1_800_000;
  const sent: number[] = [];
  const skipped: number[] = [];
  const ours = (current: DeliveryState) => current.lease?.holder === holder;
  /** The lease after this sender lets go of it: someone else's stays. */
  const letGo = (current: DeliveryState) => (ours(current) ? null : current.lease);
  const readRecord = async (sequence: number) => (start.record?.sequence === sequence ? start.record : await readExportRecord(store, tenant, shard, sequence));

  /** The state as this call last read or wrote it: each write starts from it instead of reading. */
  let seen: VersionedDeliveryState = start.state ?? (await readDeliveryState(store, tenant, shard));
  const update = async <R>(apply: (state: DeliveryState) => { next: DeliveryState; result: R }) => {
    const updated = await updateDeliveryState(store, tenant, shard, apply, { ...deps.cas, known: seen });
    seen = { state: updated.state, etag: updated.etag };
    return updated.result;
  };

  // Nothing to send: answer without writing anything (the tick asks every shard every minute).
  let latest = await findLatestSequence(store, tenant, shard, seen.state, start.record?.sequence);
  if (latest <= seen.state.delivered) return { outcome: 'up-to-date', latest, delivered: seen.state.delivered, sent, skipped };

  let holding = false;
  try {
    for (let round = 0; round < maxRounds; round++) {
      // 1. Take (or renew) the lease and move `attempted` up to L, in one write, before the first byte leaves.
      // Re-applied to its own landed write (a 412 after a retried PUT), `from` comes out as L: the
      // records between are skipped, which L's running totals allow.
      const target = latest;
      const lease = await update<LeaseWrite>((current) => {
        const leasedElsewhere = current.lease !== null && !ours(current) && current.lease.until > clock();
        if (holding ? !ours(current) : leasedElsewhere) return { next: current, result: { kind: holding ? 'lost' : 'busy' } };
        if (current.delivered >= target) return { next: current, result: { kind: 'delivered-by-another' } };
        return {
          next: { ...current, attempted: Math.max(current.attempted, target), head: Math.max(current.head, target), lease: { holder, until: clock() + leaseMs } },
          result: { kind: 'held', from: Math.max(current.delivered + 1, current.attempted), delivered: current.delivered },
        };
      });
      if (lease.kind === 'busy') {
        logger.debug('export delivery busy', { holder: seen.state.lease?.holder });
        return { outcome: 'busy', latest, delivered: seen.state.delivered, sent, skipped };
      }
      if (lease.kind === 'lost') return lostLease();
      if (lease.kind === 'delivered-by-another') break;
      holding = true;
      if (lease.from > latest) {
        // Another sender marked a newer record meanwhile; nothing at or below L may go out now.
        latest = await findLatestSequence(store, tenant, shard, seen.state, lease.from);
        continue;
      }

      // 2. The records to send: from `from` up to L, within the backlog limits.
      const last = await readRecord(latest);
      if (last === undefined) throw new Error(`export record ${latest} disappeared`);
      const plan: ExportRecord[] = [];
      for (let sequence = Math.max(lease.from, latest - maxBacklogRecords + 1); sequence < latest; sequence++) {
        const record = await readExportRecord(store, tenant, shard, sequence);
        if (record !== undefined && last.ts - record.ts <= maxBacklogAgeMs) plan.push(record);
      }
      plan.push(last);
      for (let sequence = lease.delivered + 1; sequence < latest; sequence++) if (!plan.some((r) => r.sequence === sequence)) skipped.push(sequence);

      // 3. Send, in order.
      for (const [index, record] of plan.entries()) {
        // A full lease for every record, so a send can use its whole retry budget before the lease ends.
        if (index > 0) {
          const renewed = await update((current) => (ours(current) ? { next: { ...current, lease: { holder, until: clock() + leaseMs } }, result: true } : { next: current, result: false }));
          if (!renewed) return lostLease();
        }
        try {
          await sendRecord(deps, record, seen.state.lease!.until - marginMs);
          sent.push(record.sequence);
        } catch (error) {
          if (!(error instanceof RemoteWriteError)) throw error;
          const refused = error instanceof RemoteWriteRejectedError || error instanceof RemoteWriteLabelError;
          if (refused && record.sequence < latest) {
            logger.warn('export record refused, skipping to the latest', { sequence: record.sequence, latest, error });
            skipped.push(record.sequence);
            continue;
          }
          return await failed(record.sequence, error);
        }
      }

      // 4. Delivered up to L; look for a newer record, and release the lease with the same write when there is none.
      const newer = await findLatestSequence(store, tenant, shard, seen.state, latest);
      const finished = newer <= latest || round === maxRounds - 1;
      await update((current) => ({
        next: { ...current, delivered: Math.max(current.delivered, target), deliveredAt: clock(), lastError: null, lease: finished ? letGo(current) : current.lease },
        result: undefined,
      }));
      logger.info('export records delivered', { sequences: sent, latest });
      if (finished) {
        holding = false;
        break;
      }
      latest = newer;
    }
    return { outcome: sent.length === 0 && skipped.length === 0 ? 'up-to-date' : 'delivered', latest, delivered: seen.state.delivered, sent, skipped };
  } finally {
    if (holding) {
      await update((current) => (ours(current) ? { next: { ...current, lease: null }, result: undefined } : { next: current, result: undefined })).catch((error: unknown) =>
        logger.warn('export lease not released; it expires by itself', { error }),
      );
    }
  }

  function lostLease(): DeliveryResult {
    holding = false;
    logger.warn('export lease lost to another sender', { latest });
    return { outcome: 'busy', latest, delivered: seen.state.delivered, sent, skipped };
  }

  /** Counts the failure and releases the lease, in one write. */
  async function failed(sequence: number, error: RemoteWriteError): Promise<DeliveryResult> {
    const status = error instanceof RemoteWriteRejectedError ? error.status : error instanceof RemoteWriteUnavailableError ? (error.lastStatus ?? null) : null;
    logger.error('export send failed, record left undelivered', { sequence, latest, status, error });
    const lastError = { at: clock(), sequence, message: error.message.slice(0, 500), status };
    await update((current) => {
      // Applied again to its own landed write (a 412 after a retried PUT), it must not count twice.
      const counted = current.lastError?.at === lastError.at && current.lastError.sequence === sequence;
      if (counted && !ours(current)) return { next: current, result: undefined };
      return { next: { ...current, failures: current.failures + (counted ? 0 : 1), lastError, lease: letGo(current) }, result: undefined };
    });
    holding = false;
    return { outcome: 'failed', latest, delivered: seen.state.delivered, sent, skipped, error };
  }
}

/** The request(s) for one record: every series once, at the record's timestamp. */
export function recordTimeSeries(record: ExportRecord, routing: TenantRouting, withSelfMetrics: boolean): { series: TimeSeriesInput[]; metadata: MetricMetadataInput[] } {
  const tenantLabel: Label[] = routing.mode === 'label' ? [{ name: routing.label, value: record.tenant }] : [];
  const samples = (value: number) => [{ timestamp: record.ts, value }];
  const series: TimeSeriesInput[] = record.series.map((one) => ({
    labels: tenantLabel.length === 0 ? one.labels : sortLabels([...one.labels, ...tenantLabel]),
    samples: samples(one.value),
  }));
  const names = new Map<string, string>();
  for (const one of record.series) {
    const name = one.labels.find((l) => l.name === metricNameLabel)?.value ?? '';
    const rule = one.labels.find((l) => l.name === ruleIdLabel)?.value ?? '';
    if (!names.has(name)) names.set(name, rule);
  }
  const metadata: MetricMetadataInput[] = [...names].map(([name, rule]) => ({ metricFamilyName: name, type: 'counter', help: `Strata recording rule ${rule} (running total per shard).` }));
  if (withSelfMetrics) {
    const own = selfMetrics({
      ts: record.ts,
      labels: sortLabels([{ name: shardLabel, value: String(record.shard) }, ...tenantLabel]),
      counters: record.pipeline,
      lagMs: record.pipeline.lagMs,
      droppedSeries: record.dropped,
      ruleLabel: ruleIdLabel,
    });
    series.push(...own.series);
    metadata.push(...own.metadata);
  }
  return { series, metadata };
}

async function sendRecord(deps: DeliveryDeps, record: ExportRecord, deadline: number): Promise<void> {
  const { series, metadata } = recordTimeSeries(record, deps.tenantRouting, deps.selfMetrics ?? true);
  const perRequest = Math.max(1, deps.maxSeriesPerRequest ?? 2000);
  if (series.length === 0) return;
  const tenant = deps.tenantRouting.mode === 'header' ? { tenant: record.tenant } : {};
  for (let start = 0; start < series.length; start += perRequest) {
    await deps.client.send(series.slice(start, start + perRequest), { ...tenant, deadline, ...(start === 0 ? { metadata } : {}) });
  }
}
