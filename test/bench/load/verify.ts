/**
 * The load benchmark's loss check, once the pipeline is quiet: reads every object of the live set
 * (lib/compact/live.ts, as any reader does) and places each stored sample in a bitmap of
 * (batch, series, round). A sample of an acknowledged request must be found exactly once, with its
 * value; nothing else may be there. Memory is one bit per scheduled sample, so ~20M samples take
 * a few MB.
 */
import type { ObjectStore } from '../../../lib/aws/contract.js';
import { listLiveSet } from '../../../lib/compact/live.js';
import { FileReader } from '../../../lib/segment/format.js';
import type { Workload } from './workload.js';

export interface LossReport {
  acknowledgedSamples: number;
  /** Distinct acknowledged samples found in the live set. */
  found: number;
  missing: number;
  /** The same (series, timestamp) stored more than once (in one object or across live objects). */
  duplicates: number;
  /** Samples of requests never acknowledged (a retried request may legitimately land). */
  unacknowledged: number;
  /** Samples the workload never sent, or with another value. */
  foreign: number;
  wrongValues: number;
  liveBlocks: number;
  /** Segments still live: not compacted yet. */
  liveSegments: number;
  samplesRead: number;
  examples: string[];
}

/**
 * An object listed as live can be gone by the time it is read, when the pipeline is still working
 * (a block compacted into the next level, then cleaned up): as any reader does, list again.
 */
export async function verifyNoLoss(store: ObjectStore, workload: Workload, acknowledged: readonly number[], scheduledRequests: number): Promise<LossReport> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readLiveSet(store, workload, acknowledged, scheduledRequests);
    } catch (error) {
      if (!(error instanceof ObjectGoneError) || attempt >= 5) throw error;
    }
  }
}

class ObjectGoneError extends Error {
  override readonly name = 'ObjectGoneError';
}

async function readLiveSet(store: ObjectStore, workload: Workload, acknowledged: readonly number[], scheduledRequests: number): Promise<LossReport> {
  const { seriesPerRequest } = workload.settings;
  const rounds = Math.ceil(scheduledRequests / workload.batches);
  const bitOf = (batch: number, series: number, round: number) => (batch * seriesPerRequest + series) * rounds + round;
  const found = new Uint8Array(Math.ceil((workload.batches * seriesPerRequest * rounds) / 8));
  const acked = new Set(acknowledged);
  const report: LossReport = {
    acknowledgedSamples: acked.size * seriesPerRequest,
    found: 0,
    missing: 0,
    duplicates: 0,
    unacknowledged: 0,
    foreign: 0,
    wrongValues: 0,
    liveBlocks: 0,
    liveSegments: 0,
    samplesRead: 0,
    examples: [],
  };
  const note = (text: string) => void (report.examples.length < 10 && report.examples.push(text));

  const { live } = await listLiveSet(store);
  for (const object of live) {
    if (object.key.kind === 'block') report.liveBlocks++;
    else report.liveSegments++;
    const stored = await store.get(object.key.key);
    if (stored === undefined) throw new ObjectGoneError(`${object.key.key} was listed as live but is gone`);
    const reader = FileReader.open(stored.body, { expectKey: object.key });
    for (const series of reader.series()) {
      for (const sample of series.samples) {
        report.samplesRead++;
        const place = workload.locate(reader.header.tenant, series.labels, sample.timestamp);
        if (typeof place === 'string' || place.round >= rounds) {
          report.foreign++;
          note(`${object.key.key}: ${typeof place === 'string' ? place : `round ${place.round} was never scheduled`}`);
          continue;
        }
        const request = place.round * workload.batches + place.batch;
        if (sample.value !== workload.value(place.series, place.round)) {
          report.wrongValues++;
          note(`${object.key.key}: batch ${place.batch} series ${place.series} round ${place.round}: value ${sample.value}`);
        }
        const bit = bitOf(place.batch, place.series, place.round);
        if ((found[bit >> 3]! & (1 << (bit & 7))) !== 0) {
          report.duplicates++;
          note(`${object.key.key}: batch ${place.batch} series ${place.series} round ${place.round} stored twice`);
          continue;
        }
        found[bit >> 3]! |= 1 << (bit & 7);
        if (acked.has(request)) report.found++;
        else report.unacknowledged++;
      }
    }
  }
  report.missing = report.acknowledgedSamples - report.found;
  if (report.missing > 0) {
    for (const request of acknowledged) {
      const { batch, round } = workload.request(request);
      const absent = Array.from({ length: seriesPerRequest }, (_, series) => bitOf(batch, series, round)).filter((bit) => (found[bit >> 3]! & (1 << (bit & 7))) === 0);
      if (absent.length > 0) note(`request ${request} (tenant ${workload.request(request).tenant}, batch ${batch}, round ${round}): ${absent.length} of ${seriesPerRequest} samples missing`);
      if (report.examples.length >= 10) break;
    }
  }
  return report;
}

export function lossProblems(report: LossReport): string[] {
  const problems: string[] = [];
  if (report.missing > 0) problems.push(`${report.missing} acknowledged samples missing`);
  if (report.duplicates > 0) problems.push(`${report.duplicates} samples stored twice`);
  if (report.foreign > 0) problems.push(`${report.foreign} samples that were never sent`);
  if (report.wrongValues > 0) problems.push(`${report.wrongValues} samples with a wrong value`);
  if (report.liveSegments > 0) problems.push(`${report.liveSegments} segments never compacted`);
  return problems;
}
