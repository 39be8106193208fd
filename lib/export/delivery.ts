/**
 * Sending a (tenant, shard)'s export records to the remote-write endpoint, in order, once each
 * where possible and never out of order (see state.ts for the watermarks).
 *
 * 0. Nothing above `delivered`: return without writing anything.
 * 1. Take the shard's send lease (compare-and-swap on delivery.json). Someone else holding it → 'busy':
 *    that sender, or the next tick, delivers this record too.
 * 2. Find the latest record L. Nothing above `delivered` → done. Otherwise set `attempted = L`
 *    first, then send the undelivered records from max(delivered + 1, attempted) up to L in order,
 *    one record per request (a request has one sample per series, so a retry of the whole request
 *    is an exact resend, which receivers accept; two samples of a series in one request would turn
 *    a retry into an out-of-order sample). Older undelivered records beyond the backlog limits are
 *    skipped: L carries their counts.
 * 3. A record refused for good (4xx, or labels a receiver would refuse) that is not L is skipped
 *    the same way. L refused, or the endpoint unavailable or misconfigured, counts a failure and
 *    leaves the records undelivered (compaction is not undone); the next call retries from L.
 * 4. `delivered = L`; look again in case a newer record appeared meanwhile; release the lease.
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
import { readDeliveryState, updateDeliveryState, type DeliveryState } from './state.js';

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

/**
 * Delivers the shard's undelivered records. Never throws for a failed send (the outcome says
 * 'failed' and the records stay undelivered); throws only for storage errors.
 */
export async function deliverExports(deps: DeliveryDeps, tenant: string, shard: number): Promise<DeliveryResult> {
  const { store } = deps;
  const logger = (deps.logger ?? silentLogger).child({ tenant, shard });
  const clock = deps.clock ?? Date.now;
  const holder = deps.holder ?? randomUUID();
  const leaseMs = deps.leaseMs ?? 60_000;
  const marginMs = deps.marginMs ?? 5_000;
  const maxBacklogRecords = Math.max(1, deps.maxBacklogRecords ?? 10);
  const maxBacklogAgeMs = deps.maxBacklogAgeMs ?? 1_800_000;
  const update = <R>(apply: (state: DeliveryState) => { next: DeliveryState; result: R }) => updateDeliveryState(store, tenant, shard, apply, deps.cas);
  const sent: number[] = [];
  const skipped: number[] = [];

  // Nothing to send: answer without writing anything (the tick asks every shard every minute).
  const initial = (await readDeliveryState(store, tenant, shard)).state;
  const initialLatest = await findLatestSequence(store, tenant, shard, initial);
  if (initialLatest <= initial.delivered) return { outcome: 'up-to-date', latest: initialLatest, delivered: initial.delivered, sent, skipped };

  // 1. The lease.
  const now = clock();
  const taken = await update((current) => {
    if (current.lease !== null && current.lease.holder !== holder && current.lease.until > now) return { next: current, result: false };
    return { next: { ...current, lease: { holder, until: now + leaseMs } }, result: true };
  });
  let state: DeliveryState = taken.state;
  if (!taken.result) {
    logger.debug('export delivery busy', { holder: state.lease?.holder });
    return { outcome: 'busy', latest: state.head, delivered: state.delivered, sent, skipped };
  }

  const ours = (current: DeliveryState) => current.lease?.holder === holder;
  let latest = state.head;
  try {
    for (let round = 0; round < maxRounds; round++) {
      latest = await findLatestSequence(store, tenant, shard, state);
      if (latest <= state.delivered) break;

      // 2. Plan, then move `attempted` up before the first byte leaves.
      const from = Math.max(state.delivered + 1, state.attempted);
      const last = await readExportRecord(store, tenant, shard, latest);
      if (last === undefined) throw new Error(`export record ${latest} disappeared`);
      const plan: ExportRecord[] = [];
      for (let sequence = Math.max(from, latest - maxBacklogRecords + 1); sequence < latest; sequence++) {
        const record = await readExportRecord(store, tenant, shard, sequence);
        if (record !== undefined && last.ts - record.ts <= maxBacklogAgeMs) plan.push(record);
      }
      plan.push(last);
      for (let sequence = state.delivered + 1; sequence < latest; sequence++) if (!plan.some((r) => r.sequence === sequence)) skipped.push(sequence);

      const marked = await update((current) => {
        if (!ours(current)) return { next: current, result: false };
        const now = clock();
        return {
          next: { ...current, attempted: Math.max(current.attempted, latest), head: Math.max(current.head, latest), lease: { holder, until: now + leaseMs } },
          result: true,
        };
      });
      if (!marked.result) return lostLease();
      state = marked.state;
      let lease = state.lease!;

      // 3. Send, in order.
      for (const [index, record] of plan.entries()) {
        // A full lease for every record, so a send can use its whole retry budget before the lease ends.
        if (index > 0) {
          const renewed = await update((current) => (ours(current) ? { next: { ...current, lease: { holder, until: clock() + leaseMs } }, result: true } : { next: current, result: false }));
          if (!renewed.result) return lostLease();
          state = renewed.state;
          lease = state.lease!;
        }
        try {
          await sendRecord(deps, record, lease.until - marginMs);
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

      // 4. Delivered up to the latest.
      const done = await update((current) => ({
        next: { ...current, delivered: Math.max(current.delivered, latest), deliveredAt: clock(), lastError: null },
        result: undefined,
      }));
      state = done.state;
      logger.info('export records delivered', { sequences: sent, latest });
    }
    return { outcome: sent.length === 0 && skipped.length === 0 ? 'up-to-date' : 'delivered', latest, delivered: state.delivered, sent, skipped };
  } finally {
    await update((current) => (ours(current) ? { next: { ...current, lease: null }, result: undefined } : { next: current, result: undefined })).catch((error: unknown) =>
      logger.warn('export lease not released; it expires by itself', { error }),
    );
  }

  function lostLease(): DeliveryResult {
    logger.warn('export lease lost to another sender', { latest });
    return { outcome: 'busy', latest, delivered: state.delivered, sent, skipped };
  }

  async function failed(sequence: number, error: RemoteWriteError): Promise<DeliveryResult> {
    const status = error instanceof RemoteWriteRejectedError ? error.status : error instanceof RemoteWriteUnavailableError ? (error.lastStatus ?? null) : null;
    logger.error('export send failed, record left undelivered', { sequence, latest, status, error });
    const recorded = await update((current) => ({
      next: { ...current, failures: current.failures + 1, lastError: { at: clock(), sequence, message: error.message.slice(0, 500), status } },
      result: undefined,
    }));
    state = recorded.state;
    return { outcome: 'failed', latest, delivered: state.delivered, sent, skipped, error };
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
