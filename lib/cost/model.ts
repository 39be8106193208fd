/**
 * The cost model: what a measured run would cost on AWS at list prices, per million samples, and
 * how that changes with the push batch size (series per remote-write request) and the L0 job size
 * (segments per job).
 *
 * Every measured quantity is tagged with the driver it grows with:
 * - `sample`: the work is proportional to the data (merging, parsing);
 * - `request`: once per push (an ingest invocation);
 * - `segment`: once per segment written (its PUT, S3 event, planner HEAD, compactor GET, deletion);
 * - `job`: once per L0→L1 job, including its share of the jobs of higher levels;
 * - `minute`: fixed per unit of time (the tick).
 * A scenario keeps the sample rate and rescales each quantity by how its driver changes: pushes
 * scale with 1/batch size, segments with the shards a push touches per sample, jobs with segments
 * over segments per job. A function's duration has two parts that scale apart: the measured part
 * (its CPU time) with its duration driver, and the latency allowance for waiting on S3 and SQS
 * with the requests it makes, each by its own driver. It is a linear model anchored on one measurement; docs/performance.md says
 * which figures are measured and which extrapolated.
 */
import type { PriceList } from './prices.js';

export type Driver = 'sample' | 'request' | 'segment' | 'job' | 'minute';

/**
 * S3 Standard bills PUT, COPY, POST and LIST requests at one price (tier 1), GET, HEAD and every
 * other request at a lower one (tier 2); DELETE and CANCEL requests are free. SQS bills every API
 * request per 64 KB chunk of payload, FIFO queues at a higher price than standard ones.
 */
export type RequestPriceClass = 's3-tier1' | 's3-tier2' | 's3-free' | 'sqs-standard' | 'sqs-fifo';

export interface FunctionUsage {
  name: string;
  memoryMb: number;
  invocations: number;
  invocationDriver: Driver;
  /**
   * The measured part of the billed duration, summed over the invocations: CPU time, or the local
   * wall time (which includes its waiting already).
   */
  measuredMs: number;
  /** What measuredMs grows with. */
  durationDriver: Driver;
  /** S3 and SQS requests the function made, by the driver each grows with. */
  requestsMade: Partial<Record<Driver, number>>;
  /** Billed waiting per request made, added to measuredMs; 0 when measuredMs includes the waiting. */
  latencyMsPerRequest: number;
}

export interface RequestUsage {
  /** What the requests are, e.g. "ingest PutObject segments/". */
  label: string;
  priceClass: RequestPriceClass;
  /** Billed units: requests for S3, 64 KB chunks for SQS. */
  units: number;
  driver: Driver;
}

export interface MeasuredUsage {
  samples: number;
  seriesPerRequest: number;
  /** Shards per tenant, for the shards a push of N series touches. */
  shardCount: number;
  /** The L0 cut by count (STRATA_L0_MAX_SEGMENTS) the run used. */
  segmentsPerJob: number;
  functions: FunctionUsage[];
  requests: RequestUsage[];
}

export interface CostBreakdown {
  lambdaCompute: number;
  lambdaRequests: number;
  s3Tier1: number;
  s3Tier2: number;
  sqs: number;
  total: number;
}

export interface Scenario {
  seriesPerRequest: number;
  segmentsPerJob: number;
}

/** A function's billed duration: the measured part plus the latency allowance for its requests. */
export function billedMs(fn: FunctionUsage): number {
  return fn.measuredMs + fn.latencyMsPerRequest * Object.values(fn.requestsMade).reduce((sum, requests) => sum + requests, 0);
}

/** Dollars for a function's invocations: its GB-seconds and its requests. */
export function functionCost(fn: FunctionUsage, prices: PriceList): { compute: number; requests: number } {
  return { compute: (fn.memoryMb / 1024) * (billedMs(fn) / 1000) * prices.lambdaArmGbSecond, requests: fn.invocations * prices.lambdaRequest };
}

/** Dollars per billed unit of a request price class. */
export function unitPrice(priceClass: RequestPriceClass, prices: PriceList): number {
  const perUnit: Record<RequestPriceClass, number> = {
    's3-tier1': prices.s3Tier1Request,
    's3-tier2': prices.s3Tier2Request,
    's3-free': 0,
    'sqs-standard': prices.sqsStandardRequest,
    'sqs-fifo': prices.sqsFifoRequest,
  };
  return perUnit[priceClass];
}

/** Dollars for the usage as measured. */
export function costOf(usage: MeasuredUsage, prices: PriceList): CostBreakdown {
  let lambdaCompute = 0;
  let lambdaRequests = 0;
  for (const fn of usage.functions) {
    const cost = functionCost(fn, prices);
    lambdaCompute += cost.compute;
    lambdaRequests += cost.requests;
  }
  const costOfClass = (priceClass: RequestPriceClass) =>
    usage.requests.filter((r) => r.priceClass === priceClass).reduce((sum, r) => sum + r.units, 0) * unitPrice(priceClass, prices);
  const s3Tier1 = costOfClass('s3-tier1');
  const s3Tier2 = costOfClass('s3-tier2');
  const sqs = costOfClass('sqs-standard') + costOfClass('sqs-fifo');
  return { lambdaCompute, lambdaRequests, s3Tier1, s3Tier2, sqs, total: lambdaCompute + lambdaRequests + s3Tier1 + s3Tier2 + sqs };
}

/** The same breakdown per million samples. */
export function perMillionSamples(cost: CostBreakdown, samples: number): CostBreakdown {
  const scale = samples > 0 ? 1e6 / samples : 0;
  return {
    lambdaCompute: cost.lambdaCompute * scale,
    lambdaRequests: cost.lambdaRequests * scale,
    s3Tier1: cost.s3Tier1 * scale,
    s3Tier2: cost.s3Tier2 * scale,
    sqs: cost.sqs * scale,
    total: cost.total * scale,
  };
}

/** Expected number of the `shards` shards that `series` uniformly hashed series touch. */
export function shardsTouched(series: number, shards: number): number {
  return shards * (1 - (1 - 1 / shards) ** series);
}

/** How much of each driver a scenario needs for the same samples, relative to the measurement. */
export function driverScale(usage: MeasuredUsage, scenario: Scenario): Record<Driver, number> {
  const segmentsPerSample = (n: number) => shardsTouched(n, usage.shardCount) / n;
  const segment = segmentsPerSample(scenario.seriesPerRequest) / segmentsPerSample(usage.seriesPerRequest);
  return {
    sample: 1,
    request: usage.seriesPerRequest / scenario.seriesPerRequest,
    segment,
    job: (segment * usage.segmentsPerJob) / scenario.segmentsPerJob,
    minute: 1,
  };
}

/** The usage a scenario would have for the same samples over the same time. */
export function scaleUsage(usage: MeasuredUsage, scenario: Scenario): MeasuredUsage {
  const scale = driverScale(usage, scenario);
  return {
    ...usage,
    seriesPerRequest: scenario.seriesPerRequest,
    segmentsPerJob: scenario.segmentsPerJob,
    functions: usage.functions.map((fn) => ({
      ...fn,
      invocations: fn.invocations * scale[fn.invocationDriver],
      measuredMs: fn.measuredMs * scale[fn.durationDriver],
      requestsMade: Object.fromEntries(Object.entries(fn.requestsMade).map(([driver, requests]) => [driver, requests * scale[driver as Driver]])),
    })),
    requests: usage.requests.map((request) => ({ ...request, units: request.units * scale[request.driver] })),
  };
}
