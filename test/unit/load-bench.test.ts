/**
 * The load benchmark's own logic (test/bench/load/): the workload's bodies decode to what the
 * verifier expects, the loss check finds each kind of loss it reports, and the interval figures.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jobId } from '../../lib/plan/ids.js';
import { decodeWriteRequestBody } from '../../lib/remotewrite/encode.js';
import { encodeFile, type Series } from '../../lib/segment/format.js';
import { blockKey } from '../../lib/segment/keys.js';
import { compareLabelSets, shardOf, type Label } from '../../lib/segment/labels.js';
import { jobPhases } from '../bench/load/job-phases.js';
import { intervalRow, leastSquaresSlope, percentile } from '../bench/load/report.js';
import { verifyNoLoss } from '../bench/load/verify.js';
import { RequestEncoder, Workload } from '../bench/load/workload.js';
import { MemoryStore } from '../helpers/ingest-fixtures.js';

const shardCount = 4;
// 40 requests a minute of 150 series, one sample every 15 s: 10 batches over 2 tenants.
const workload = new Workload({ samplesPerMinute: 6000, seriesPerRequest: 150, tenants: 2, periodMs: 15_000, startMs: 1_700_000_000_000 });

interface StoredSample {
  tenant: string;
  labels: Label[];
  timestamp: number;
  value: number;
}

/** Every sample of these requests, as the workload defines them. */
function samplesOf(requests: number[]): StoredSample[] {
  return requests.flatMap((index) => {
    const { batch, round, tenant, timestamp } = workload.request(index);
    return Array.from({ length: workload.settings.seriesPerRequest }, (_, series) => ({
      tenant,
      labels: workload.labels(batch, series),
      timestamp,
      value: workload.value(series, round),
    }));
  });
}

/** Writes the samples as L1 blocks, one per (tenant, shard), block ids numbered from `first`. */
async function storeBlocks(store: MemoryStore, samples: StoredSample[], first = 0): Promise<void> {
  const files = new Map<string, Map<string, Series>>();
  for (const sample of samples) {
    const shard = shardOf(sample.labels, shardCount);
    const file = files.get(`${sample.tenant}/${shard}`) ?? new Map<string, Series>();
    files.set(`${sample.tenant}/${shard}`, file);
    const key = JSON.stringify(sample.labels);
    const series = file.get(key) ?? { labels: sample.labels, samples: [], functions: [], stacks: [] };
    file.set(key, series);
    series.samples.push({ timestamp: sample.timestamp, value: sample.value });
  }
  let sequence = first;
  for (const [where, file] of files) {
    const [tenant, shardText] = where.split('/') as [string, string];
    const shard = Number(shardText);
    const id = jobId(tenant, shard, 'test', 1, sequence++);
    const series = [...file.values()].sort((a, b) => compareLabelSets(a.labels, b.labels));
    for (const one of series) one.samples.sort((a, b) => a.timestamp - b.timestamp);
    const bytes = encodeFile({ tenant, shard, level: 1, id, createdBy: 'test', createdAtMs: 0, shardCount, sources: [] }, series);
    await store.put(blockKey(tenant, shard, 1, id), bytes);
  }
}

describe('load bench workload', () => {
  test('a request body decodes to the series, timestamp and values the verifier expects', () => {
    const spec = workload.request(23);

    const decoded = decodeWriteRequestBody(new RequestEncoder(workload).body(spec));

    assert.equal(decoded.timeseries.length, 150);
    decoded.timeseries.forEach((series, index) => {
      const labels = (series.labels ?? []).map(({ name, value }) => ({ name: name ?? '', value: value ?? '' }));
      assert.deepEqual(labels, workload.labels(spec.batch, index));
      const sample = series.samples![0]!;
      assert.equal(Number(sample.timestamp), spec.timestamp);
      assert.equal(sample.value, workload.value(index, spec.round));
      assert.deepEqual(workload.locate(spec.tenant, labels, spec.timestamp), { batch: spec.batch, round: spec.round, series: index });
    });
  });

  test('the schedule rounds the rate up to whole batches and spreads them over the period', () => {
    assert.equal(workload.batches, 10);
    assert.equal(workload.scheduledSamplesPerMinute, 6000);
    assert.deepEqual(workload.request(13), { index: 13, batch: 3, round: 1, tenant: 'load-1', timestamp: 1_700_000_000_000 + 15_000 + 4_500, dueMs: 19_500 });
  });

  test('locate refuses samples the workload never sent', () => {
    const labels = workload.labels(3, 7);
    assert.match(String(workload.locate('load-0', labels, workload.timestamp(3, 0))), /stored under tenant load-0/);
    assert.match(String(workload.locate('load-1', labels, workload.timestamp(3, 0) + 1)), /not a scrape/);
    assert.match(String(workload.locate('load-1', [{ name: '__name__', value: 'up' }], workload.timestamp(3, 0))), /never sends/);
  });
});

describe('load bench loss check', () => {
  const acked = Array.from({ length: 20 }, (_, index) => index);

  test('everything acknowledged, once each: nothing to report', async () => {
    const store = new MemoryStore();
    await storeBlocks(store, samplesOf(acked));

    const report = await verifyNoLoss(store, workload, acked, 20);

    assert.equal(report.acknowledgedSamples, 3000);
    assert.deepEqual(
      { found: report.found, missing: report.missing, duplicates: report.duplicates, foreign: report.foreign, wrong: report.wrongValues, other: report.unacknowledged },
      { found: 3000, missing: 0, duplicates: 0, foreign: 0, wrong: 0, other: 0 },
    );
  });

  test('a missing sample, a duplicate, a wrong value, a foreign and an unacknowledged sample are each found', async () => {
    const store = new MemoryStore();
    const samples = samplesOf(acked);
    const [dropped, doubled, altered] = [samples[10]!, samples[20]!, samples[30]!];
    altered.value += 0.5;
    const kept = samples.filter((sample) => sample !== dropped);
    const extra = [
      { ...samplesOf([25])[0]! },
      { tenant: 'load-0', labels: [{ name: '__name__', value: 'up' }], timestamp: 1, value: 1 },
    ];
    await storeBlocks(store, [...kept, ...extra]);
    await storeBlocks(store, [{ ...doubled }], 100);

    const report = await verifyNoLoss(store, workload, acked, 30);

    assert.deepEqual(
      { missing: report.missing, duplicates: report.duplicates, foreign: report.foreign, wrong: report.wrongValues, unacknowledged: report.unacknowledged },
      { missing: 1, duplicates: 1, foreign: 1, wrong: 1, unacknowledged: 1 },
    );
    assert.ok(report.examples.some((example) => /1 of 150 samples missing/.test(example)));
  });
});

describe('load bench figures', () => {
  test('percentiles by nearest rank', () => {
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
  });

  test('an interval row: rates per minute, backlog of the status reads inside it, lag in seconds', () => {
    const point = (at: number, backlog: number) => ({ at, backlog, pendingSegments: 0, openJobs: 0, queued: 0, undeliveredExports: 0, stateBytesMax: 0, uncompacted: 0 });

    const row = intervalRow(10_000, 20_000, 50_000, 40_000, [point(5_000, 99), point(12_000, 10), point(18_000, 30)], [1000, 2000, 9000], 7);

    assert.deepEqual(row, { fromS: 10, toS: 20, acceptedPerMinute: 300_000, compactedPerMinute: 240_000, backlogMean: 20, backlogMax: 30, uncompacted: 7, lagP50S: 2, lagP99S: 9 });
  });

  test('the least-squares slope: an oscillation three times the rise over a minute moves it by less than a fifth', () => {
    // 100 a minute rising, plus ±300 with a 0.5-minute period, sampled every 5 s for 4 minutes.
    const points = Array.from({ length: 48 }, (_, i) => [i / 12, 1000 + 100 * (i / 12) + 300 * Math.sin((2 * Math.PI * (i / 12)) / 0.5)] as const);

    assert.ok(Math.abs(leastSquaresSlope(points)! - 100) < 20, String(leastSquaresSlope(points)));
    assert.equal(leastSquaresSlope([[1, 5], [3, 9]]), 2);
    assert.equal(leastSquaresSlope([[1, 5]]), undefined);
    assert.equal(leastSquaresSlope([]), undefined);
  });

  test('job phases from the pipeline log: per job, from the last line of each step', () => {
    const line = (ms: number, message: string, jobId?: string) => JSON.stringify({ level: 'info', time: new Date(ms).toISOString(), message, ...(jobId === undefined ? {} : { jobId }) });
    const log = [
      line(1000, 'block written', 'a'),
      line(1500, 'block written', 'b'),
      line(1200, 'export record written', 'a'),
      line(2000, 'block written', 'a'), // a retried: its last attempt counts
      line(2300, 'export record written', 'a'),
      line(2400, 'job committed', 'a'),
      line(3000, 'exports delivered', 'a'),
      line(1800, 'job committed', 'b'), // no export record (no rules): only what it has
      line(1900, 'job done', 'b'),
      line(1950, 'exports delivered'),
      '',
    ].join('\n');

    assert.deepEqual(jobPhases(log), { exportRecordMs: [300], commitMs: [100], deliveryMs: [600] });
  });
});
