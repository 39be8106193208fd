import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { billedMs, costOf, driverScale, perMillionSamples, scaleUsage, shardsTouched, type MeasuredUsage } from '../../lib/cost/model.js';
import { usEast1Prices, type PriceList } from '../../lib/cost/prices.js';

// Round numbers, so that every expected figure below can be checked by hand.
const prices: PriceList = {
  asOf: 'test',
  region: 'test',
  lambdaArmGbSecond: 0.00001,
  lambdaRequest: 0.0000002,
  s3Tier1Request: 0.000005,
  s3Tier2Request: 0.0000004,
  sqsStandardRequest: 0.0000004,
  sqsFifoRequest: 0.0000005,
  ampIngestedSample: 0.00000009,
};

const usage: MeasuredUsage = {
  samples: 2_000_000,
  seriesPerRequest: 2000,
  shardCount: 4,
  segmentsPerJob: 20,
  functions: [
    // 1 GB × 50 s = 50 GB-s; 1000 requests. No latency allowance here (see withLatency).
    { name: 'ingest', memoryMb: 1024, invocations: 1000, invocationDriver: 'request', measuredMs: 50_000, durationDriver: 'sample', requestsMade: { segment: 4000 }, latencyMsPerRequest: 0 },
    // 2 GB × 20 s = 40 GB-s; 200 requests.
    { name: 'compactor', memoryMb: 2048, invocations: 200, invocationDriver: 'job', measuredMs: 20_000, durationDriver: 'sample', requestsMade: { segment: 6000, job: 400 }, latencyMsPerRequest: 0 },
    // 0.5 GB × 10 s = 5 GB-s; 10 requests.
    { name: 'tick', memoryMb: 512, invocations: 10, invocationDriver: 'minute', measuredMs: 10_000, durationDriver: 'minute', requestsMade: { minute: 30 }, latencyMsPerRequest: 0 },
  ],
  requests: [
    { label: 'segment PUTs', priceClass: 's3-tier1', units: 4000, driver: 'segment' },
    { label: 'block PUTs', priceClass: 's3-tier1', units: 200, driver: 'job' },
    { label: 'segment GETs', priceClass: 's3-tier2', units: 6000, driver: 'segment' },
    { label: 'deletes', priceClass: 's3-free', units: 4000, driver: 'segment' },
    { label: 'events', priceClass: 'sqs-standard', units: 1000, driver: 'segment' },
    { label: 'jobs', priceClass: 'sqs-fifo', units: 600, driver: 'job' },
  ],
};

const withLatency: MeasuredUsage = { ...usage, functions: usage.functions.map((fn) => ({ ...fn, latencyMsPerRequest: 20 })) };

describe('cost model', () => {
  test('costOf prices GB-seconds, invocations and each request class', () => {
    const cost = costOf(usage, prices);

    assert.ok(Math.abs(cost.lambdaCompute - 95 * 0.00001) < 1e-12); // 50 + 40 + 5 GB-s
    assert.ok(Math.abs(cost.lambdaRequests - 1210 * 0.0000002) < 1e-12);
    assert.ok(Math.abs(cost.s3Tier1 - 4200 * 0.000005) < 1e-12); // $0.021
    assert.ok(Math.abs(cost.s3Tier2 - 6000 * 0.0000004) < 1e-12); // $0.0024; deletes are free
    assert.ok(Math.abs(cost.sqs - (1000 * 0.0000004 + 600 * 0.0000005)) < 1e-12); // $0.0007
    assert.ok(Math.abs(cost.total - 0.025292) < 1e-12); // 0.00095 + 0.000242 + 0.021 + 0.0024 + 0.0007
  });

  test('perMillionSamples divides every line by the millions of samples', () => {
    const perMillion = perMillionSamples(costOf(usage, prices), usage.samples);

    assert.ok(Math.abs(perMillion.total - 0.012646) < 1e-12);
    assert.ok(Math.abs(perMillion.s3Tier1 - 0.0105) < 1e-12);
  });

  test('shardsTouched: the expected number of distinct shards uniformly hashed series land on', () => {
    assert.equal(shardsTouched(1, 4), 1);
    assert.ok(Math.abs(shardsTouched(2, 4) - 1.75) < 1e-12); // 4 × (1 − 0.75²)
    assert.ok(Math.abs(shardsTouched(2000, 4) - 4) < 1e-12);
  });

  test('a quarter of the batch size: four times the pushes and segments; bigger jobs: fewer jobs', () => {
    const scale = driverScale(usage, { seriesPerRequest: 500, segmentsPerJob: 50 });

    assert.deepEqual({ ...scale, segment: Math.round(scale.segment * 1e9) / 1e9, job: Math.round(scale.job * 1e9) / 1e9 }, { sample: 1, request: 4, segment: 4, job: 1.6, minute: 1 });
    const scaled = scaleUsage(usage, { seriesPerRequest: 500, segmentsPerJob: 50 });
    assert.equal(scaled.functions.find((fn) => fn.name === 'ingest')!.invocations, 4000);
    assert.equal(billedMs(scaled.functions.find((fn) => fn.name === 'ingest')!), 50_000); // its time grows with samples
    assert.ok(Math.abs(scaled.functions.find((fn) => fn.name === 'compactor')!.invocations - 320) < 1e-9);
    assert.ok(Math.abs(scaled.requests.find((r) => r.label === 'segment PUTs')!.units - 16_000) < 1e-9);
    // With the latency allowance, the waiting follows the requests: four times the segments.
    const ingestWithLatency = scaleUsage(withLatency, { seriesPerRequest: 500, segmentsPerJob: 50 }).functions.find((fn) => fn.name === 'ingest')!;
    assert.ok(Math.abs(billedMs(ingestWithLatency) - (50_000 + 20 * 16_000)) < 1e-6);
  });

  test('the latency allowance: 20 ms per request made, scaled by the driver of each request, the CPU part by the duration driver', () => {
    const compactor = withLatency.functions.find((fn) => fn.name === 'compactor')!;
    assert.equal(billedMs(compactor), 20_000 + 20 * 6400);

    const scaled = scaleUsage(withLatency, { seriesPerRequest: 500, segmentsPerJob: 50 }).functions.find((fn) => fn.name === 'compactor')!;

    // CPU grows with samples (unchanged); 6000 segment requests × 4, 400 job requests × 1.6.
    assert.equal(scaled.measuredMs, 20_000);
    assert.ok(Math.abs(billedMs(scaled) - (20_000 + 20 * (24_000 + 640))) < 1e-6);
    const cost = costOf({ ...withLatency, functions: [compactor] }, prices);
    assert.ok(Math.abs(cost.lambdaCompute - 2 * (148_000 / 1000) * 0.00001) < 1e-12); // 2 GB × 148 s
  });

  test('the measured scenario scales to itself', () => {
    const same = scaleUsage(usage, { seriesPerRequest: 2000, segmentsPerJob: 20 });

    assert.ok(Math.abs(costOf(same, prices).total - costOf(usage, prices).total) < 1e-15);
  });

  test('the price table is dated and in dollars per unit', () => {
    assert.match(usEast1Prices.asOf, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(usEast1Prices.s3Tier1Request * 1000, 0.005);
    assert.equal(Math.round(usEast1Prices.ampIngestedSample * 1e7 * 100) / 100, 0.9);
  });
});
