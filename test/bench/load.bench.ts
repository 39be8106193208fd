/**
 * `npm run bench:load`: the whole pipeline under sustained remote-write load, and what it would cost
 * on AWS. Three processes:
 *
 * - the pipeline (load/pipeline-child.ts): `strata dev`'s wiring — embedded S3/SQS, ingest server,
 *   planner and compactor on their queues with serverless.yml's event source settings, the tick —
 *   with recording rules exporting to a receiver in this process;
 * - the load generator (load/generator.ts): 2,000-series remote-write requests on a steady
 *   schedule, over keep-alive connections, retrying as Prometheus does;
 * - this one: reads `strata status`'s figures every few seconds (pending segments, open jobs,
 *   queue depths, undelivered exports), prints a row per minute, and at the end lets the pipeline
 *   drain, checks that every acknowledged sample is in exactly one live block (load/verify.ts),
 *   prints a summary and the cost model, and writes an SVG plot.
 *
 * Exit status: 0 when every target holds, 1 otherwise (the summary says which failed), 2 for bad
 * flags, 3 when the run itself failed (a child process died, a timeout): no verdict then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { queueDepth } from '../../lib/aws/sqs.js';
import { billedMs, costOf, functionCost, perMillionSamples, scaleUsage, unitPrice, type MeasuredUsage } from '../../lib/cost/model.js';
import { usEast1Prices as prices } from '../../lib/cost/prices.js';
import { shardStatuses } from '../../lib/status/status.js';
import { startCaptureServer } from '../helpers/remotewrite-capture.js';
import type { GeneratorDone, GeneratorMessage, GeneratorStart } from './load/generator.js';
import { jobPhases } from './load/job-phases.js';
import type { JobDone, PipelineMessage, PipelineRequest } from './load/pipeline-child.js';
import { intervalRow, leastSquaresSlope, loadPlot, markdownTable, millions, percentile, rowCells, rowHeader, rowWidths, table, tableLine, type IntervalRow, type StatusPoint } from './load/report.js';
import { attributeUsage, awsLatencyMsPerRequest, type DurationBasis } from './load/usage.js';
import { lossProblems, verifyNoLoss } from './load/verify.js';
import { Workload } from './load/workload.js';

const usage = `Usage: npm run bench:load -- [--minutes 5] [--rate 3500000] [--series-per-request 2000]
                              [--tenants 4] [--scrape-seconds 15] [--concurrency 16]
                              [--tick-seconds 60] [--out .strata/bench-load] [--cpu-prof]

Pushes remote write at a steady rate into the pipeline (strata dev's wiring) for --minutes,
then lets it drain and checks that every acknowledged sample is in exactly one live block.

  --minutes N             load duration (default 5; fractions allowed)
  --rate N                samples per minute to send (default 3500000, the target)
  --series-per-request N  series per remote-write request, one sample each (default 2000)
  --tenants N             tenants the series are spread over (default 4)
  --scrape-seconds N      each series gets a sample every N seconds (default 15)
  --concurrency N         requests in flight at most (default 16)
  --tick-seconds N        the tick's interval (default 60, as deployed)
  --out DIR               where the log, summary and plot go (default .strata/bench-load)
  --cpu-prof              write a CPU profile of the pipeline process to DIR

Targets; those on growth are judged after a warm-up (the first minute, or the lag limit if longer),
so a shorter run is not judged on them:
  - accepted ≥ --rate per minute sustained;
  - zero loss;
  - compaction keeps up: the samples not yet compacted grow by at most 2 % of the accepted rate
    (their least-squares slope over the status reads of the load, in samples per minute);
  - a flat backlog: its mean over the last third of the load at most 20 % (+ 50) above the first;
  - compaction lag p99 ≤ the L0 age limit + 5 s.
Pipeline settings come from the environment (STRATA_SHARD_COUNT,
STRATA_L0_MAX_SEGMENTS, STRATA_L0_MAX_AGE_SECONDS, ...). Exit status 1 when a target is missed,
3 when the run itself fails.`;

const { values: flags } = (() => {
  try {
    return parseArgs({
      options: {
        minutes: { type: 'string' },
        rate: { type: 'string' },
        'series-per-request': { type: 'string' },
        tenants: { type: 'string' },
        'scrape-seconds': { type: 'string' },
        concurrency: { type: 'string' },
        'tick-seconds': { type: 'string' },
        out: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
})();
if (flags.help === true) {
  console.log(usage);
  process.exit(0);
}

function numberFlag(name: keyof typeof flags, fallback: number, min: number, integer = true): number {
  const text = flags[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    console.error(`--${name} must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(text)}\n\n${usage}`);
    process.exit(2);
  }
  return value;
}

// A run that failed is not a run that missed its targets: its own exit status.
process.on('uncaughtException', (error) => {
  console.error('the load benchmark failed:', error);
  process.exit(3);
});
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const minutes = numberFlag('minutes', 5, 0.05, false);
const targetRate = numberFlag('rate', 3_500_000, 1);
const seriesPerRequest = numberFlag('series-per-request', 2000, 1);
const tenants = numberFlag('tenants', 4, 1);
const scrapeSeconds = numberFlag('scrape-seconds', 15, 1);
const concurrency = numberFlag('concurrency', 16, 1);
const tickSeconds = numberFlag('tick-seconds', 60, 1);
const outDir = resolve(flags.out ?? '.strata/bench-load');
const durationMs = Math.round(minutes * 60_000);
const intervalMs = durationMs >= 120_000 ? 60_000 : 10_000;
/** The most the samples not yet compacted may grow per minute, as a share of the accepted rate. */
const maxUncompactedGrowth = 0.02;
const statusEveryMs = durationMs >= 120_000 ? 5000 : 2000;
const tty = process.stderr.isTTY === true;
mkdirSync(outDir, { recursive: true });

// ---- the rules' export receiver, the pipeline, the generator ----
const receiver = await startCaptureServer();
const rulesPath = join(outDir, 'rules.yaml');
writeFileSync(
  rulesPath,
  `# Written by the load benchmark: two rules for every tenant, so that each L0 job evaluates rules and exports.
version: 1
default:
  - id: load_samples
    record: strata:load_samples:count
    match: '{__name__=~"node_load_metric_.*", job="load"}'
    group_by: [region]
    aggregation: count
  - id: load_metric_0
    record: strata:load_metric_0:sum
    match: 'node_load_metric_0{job="load"}'
    aggregation: sum
`,
);
const logPath = join(outDir, 'pipeline.log');
const pipeline = startChild('./load/pipeline-child.ts', flags['cpu-prof'] === true ? ['--cpu-prof', `--cpu-prof-dir=${outDir}`] : []);
const pipelineMessages = messagesOf<PipelineMessage>(pipeline);
const completedJobs: JobDone[] = [];
pipeline.on('message', (message: PipelineMessage) => {
  if (message.type === 'jobs') completedJobs.push(...message.jobs);
});
const pipelineReady = pipelineMessages.next('ready', 60_000);
requestPipeline({ type: 'start', logPath, tickSeconds, env: { STRATA_RULES: rulesPath, STRATA_REMOTE_WRITE_URL: receiver.url } });
const ready = await pipelineReady;
const loadAverageAtStart = loadavg();
const { l0MaxAgeMs, segmentsPerJob, shardCount, compactorThreads, mergeThreads } = ready.settings;
const lagLimitS = l0MaxAgeMs / 1000 + 5;
// Left out of the judgements on growth: the backlog and the uncompacted samples start from nothing
// and reach their level once the first segments have had the time the lag limit allows.
const warmUpMs = Math.max(60_000, lagLimitS * 1000);

const observerEnv = { ...ready.env, AWS_SDK_UA_APP_ID: 'strata-bench' };
const store = new S3ObjectStore(createS3Client(observerEnv), ready.env['STRATA_BUCKET']!);
const sqs = createSqsClient(observerEnv);

const startMs = Date.now() + 1000;
const workload = new Workload({ samplesPerMinute: targetRate, seriesPerRequest, tenants, periodMs: scrapeSeconds * 1000, startMs });
console.log(
  `load: ${millions(workload.scheduledSamplesPerMinute)} samples/min for ${minutes} min: ${workload.requestsPerSecond.toFixed(1)} requests/s of ` +
    `${seriesPerRequest} series × 1 sample, ${workload.batches} batches over ${tenants} tenants × ${shardCount} shards ` +
    `(${(workload.batches * seriesPerRequest).toLocaleString('en-US')} series, one sample each every ${scrapeSeconds} s), ${concurrency} in flight at most`,
);
console.log(`pipeline: ${ready.ingestUrl} (S3/SQS ${ready.endpoint}), tick every ${tickSeconds} s, L0 cut at ${segmentsPerJob} segments or ${l0MaxAgeMs / 1000} s, compactor on ${compactorThreads} threads for L0→L1 jobs and ${mergeThreads} at a lower priority for merges; log ${logPath}`);
console.log(`load average at the start: ${formatLoadAverage(loadAverageAtStart)} (1, 5, 15 min; ${availableParallelism()} cores)`);
const generator = startChild('./load/generator.ts', []);
const progress: Array<Extract<GeneratorMessage, { type: 'progress' }>> = [];
const generatorDone = new Promise<GeneratorDone>((resolveDone, rejectDone) => {
  generator.once('exit', (code) => rejectDone(new Error(`the load generator exited with ${code}`)));
  generator.on('message', (message: GeneratorMessage) => {
    if (message.type === 'progress') progress.push(message);
    else resolveDone(message);
  });
});
generator.send({ type: 'start', settings: workload.settings, url: ready.ingestUrl, durationMs, concurrency } satisfies GeneratorStart);

// ---- while it runs: status samples, a row per interval, a progress line ----
const statusPoints: StatusPoint[] = [];
const rows: IntervalRow[] = [];
let loadDone = false;
console.log(
  `\nper ${intervalMs / 1000} s (rates per minute; backlog = pending segments + queued messages + undelivered exports; ` +
    `uncompacted = samples accepted and not yet in an L1 block; lag = segment arrival → its L0 job's commit):`,
);
console.log(`${tableLine(rowHeader, rowWidths)}\n${tableLine(rowWidths.map((width) => '-'.repeat(width)), rowWidths)}`);
// Status reads queue behind the pipeline's own requests and can take seconds on a loaded machine:
// rows and the progress line run on their own timer so that they stay on time regardless.
const sampler = (async () => {
  while (!loadDone) {
    const next = Date.now() + statusEveryMs;
    statusPoints.push(await readStatus());
    await sleep(next - Date.now());
  }
})();
const display = setInterval(() => {
  // A row is printed once its interval has ended and the jobs it saw have been reported (1 s).
  if (Date.now() - startMs >= (rows.length + 1) * intervalMs + 2000 && rows.length * intervalMs < durationMs) printRow(rows.length);
  if (tty) process.stderr.write(`\r${progressLine()}`);
}, 1000);
const done = await generatorDone;
loadDone = true;
clearInterval(display);
await sampler;
while (rows.length * intervalMs < durationMs) printRow(rows.length);
if (tty) process.stderr.write('\r\x1b[K');
const loadEndMs = Date.now() - startMs;

// ---- drain, then check for loss ----
// Waits for quiet as long as the work outstanding keeps going down: a pipeline that fell behind
// still has to finish before the loss check can count what it stored. Gives up after a stall
// longer than an age cut takes (L0 age + two ticks + a minute), or after the cap.
const drainStarted = Date.now();
const stallLimitMs = l0MaxAgeMs + 2 * tickSeconds * 1000 + 60_000;
const drainCapMs = 30 * 60_000;
let quiet = false;
let progressAt = Date.now();
let fewestOutstanding = Infinity;
let leastUncompacted = Infinity;
while (Date.now() - drainStarted < drainCapMs && Date.now() - progressAt < stallLimitMs) {
  const point = await readStatus();
  statusPoints.push(point);
  const outstanding = point.pendingSegments + point.openJobs + point.queued + point.undeliveredExports;
  if (tty) {
    const waited = Math.round((Date.now() - drainStarted) / 1000);
    process.stderr.write(`\r\x1b[Kdraining: ${point.pendingSegments} pending, ${point.openJobs} open jobs, ${point.queued} queued, ${point.undeliveredExports} exports, ${millions(point.uncompacted)} samples not compacted (${waited} s)`);
  }
  if (outstanding === 0) {
    quiet = true;
    break;
  }
  if (outstanding < fewestOutstanding || point.uncompacted < leastUncompacted) progressAt = Date.now();
  fewestOutstanding = Math.min(fewestOutstanding, outstanding);
  leastUncompacted = Math.min(leastUncompacted, point.uncompacted);
  await sleep(2000);
}
if (tty) process.stderr.write('\r\x1b[K');
const drainMs = Date.now() - drainStarted;
const loadAverageAtEnd = loadavg();
const loss = await verifyNoLoss(store, workload, done.acked, done.scheduled);
const usageReply = pipelineMessages.next('usage', 30_000);
requestPipeline({ type: 'usage' });
const measured = await usageReply;
requestPipeline({ type: 'stop' });
await pipelineMessages.next('stopped', 60_000).catch(() => pipeline.kill('SIGKILL'));
await receiver.close();
sqs.destroy();

// ---- summary ----
const ackedSamples = done.acked.length * seriesPerRequest;
const lastAckMs = Math.max(durationMs, ...progress.filter((p) => p.ackedRequests > 0).map((p) => p.at - startMs));
const sustained = (ackedSamples * 60_000) / lastAckMs;
const loadJobs = completedJobs.filter((job) => job.level === 1 && job.at - startMs <= loadEndMs);
const loadLags = loadJobs.flatMap((job) => job.sourceLagsMs);
const drainLags = completedJobs.filter((job) => job.level === 1 && job.at - startMs > loadEndMs).flatMap((job) => job.sourceLagsMs);
const lagP99 = (percentile(loadLags, 99) ?? 0) / 1000;
const latencies = progress.flatMap((p) => p.latenciesMs);
const during = statusPoints.filter((p) => p.at >= warmUpMs && p.at <= durationMs);
const third = Math.max(1, Math.floor(during.length / 3));
const mean = (points: StatusPoint[], value: (p: StatusPoint) => number) => (points.length === 0 ? 0 : points.reduce((sum, p) => sum + value(p), 0) / points.length);
const [backlogEarly, backlogLate] = [mean(during.slice(0, third), (p) => p.backlog), mean(during.slice(-third), (p) => p.backlog)];
const [uncompactedEarly, uncompactedLate] = [mean(during.slice(0, third), (p) => p.uncompacted), mean(during.slice(-third), (p) => p.uncompacted)];
// The uncompacted samples swing by a few jobs' worth as jobs commit in waves: a slope over every
// status read says whether they grow, where a comparison of a few reads would catch the swing.
const uncompactedSlope = durationMs > warmUpMs ? leastSquaresSlope(during.map((p) => [p.at / 60_000, p.uncompacted])) : undefined;
const afterWarmUp = (at: number) => at - startMs > warmUpMs && at - startMs <= durationMs;
const acceptedAfterWarmUp = progress.filter((p) => afterWarmUp(p.at)).reduce((sum, p) => sum + p.ackedSamples, 0);
const compactedAfterWarmUp = completedJobs.filter((job) => job.level === 1 && afterWarmUp(job.at)).reduce((sum, job) => sum + job.samplesOut, 0);
const acceptedRateAfterWarmUp = (acceptedAfterWarmUp * 60_000) / Math.max(1, durationMs - warmUpMs);
const uncompactedGrowthLimit = maxUncompactedGrowth * acceptedRateAfterWarmUp;
const stateBytesMax = Math.max(0, ...statusPoints.map((p) => p.stateBytesMax));
const logText = readFileSync(logPath, 'utf8');
const logMegabytes = Buffer.byteLength(logText) / 1e6;
const phases = jobPhases(logText);

const failures: string[] = [];
if (sustained < targetRate) failures.push(`throughput: ${millions(sustained)} samples/min accepted, below the target of ${millions(targetRate)}`);
const problems = [
  ...lossProblems(loss),
  ...(done.rejected.length > 0 ? [`${done.rejected.length} requests rejected (first: ${done.rejected[0]!.status} ${done.rejected[0]!.body})`] : []),
  ...(done.unacknowledged.length > 0 ? [`${done.unacknowledged.length} requests never acknowledged`] : []),
  ...(quiet ? [] : [`the pipeline did not drain: ${Math.round(drainMs / 1000)} s, the last ${Math.round((Date.now() - progressAt) / 1000)} s without progress`]),
];
if (problems.length > 0) failures.push(`loss: ${problems.join('; ')}`);
if (during.length > 0 && backlogLate > backlogEarly * 1.2 + 50) failures.push(`backlog grows: mean ${backlogEarly.toFixed(0)} in the first third of the run, ${backlogLate.toFixed(0)} in the last`);
if (uncompactedSlope !== undefined && uncompactedSlope > uncompactedGrowthLimit) {
  failures.push(
    `compaction falls behind: the samples not yet compacted grow by ${millions(uncompactedSlope)} a minute, above ${maxUncompactedGrowth * 100} % of the ${millions(acceptedRateAfterWarmUp)} accepted a minute; ` +
      `${percent(compactedAfterWarmUp, acceptedAfterWarmUp)} of the accepted samples compacted after the warm-up`,
  );
}
if (lagP99 > lagLimitS) failures.push(`compaction lag p99 ${lagP99.toFixed(1)} s, above the L0 age limit + 5 s = ${lagLimitS} s`);

const usageModel = attributeUsage(measured.usage, {
  samples: ackedSamples,
  seriesPerRequest,
  shardCount,
  segmentsPerJob,
});
const threadCpu = {
  ingest: measured.usage.functions.ingest.cpuMs / 1000,
  planner: measured.usage.functions.planner.cpuMs / 1000,
  compactor: measured.usage.functions.compactor.cpuMs / 1000,
  tick: measured.usage.functions.tick.cpuMs / 1000,
};
const summaryRows: Array<[string, string]> = [
  ['samples acknowledged', `${ackedSamples.toLocaleString('en-US')} in ${done.acked.length} requests (${done.scheduled} scheduled)`],
  ['sustained rate', `${millions(sustained)} samples/min (target ${millions(targetRate)})`],
  ['ingest latency (client)', `p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms; ${progress.reduce((sum, p) => sum + p.retries, 0)} retried attempts`],
  ['sending late by (max)', `${Math.round(Math.max(0, ...progress.map((p) => p.maxLateMs)))} ms (waiting for a free connection)`],
  ['compacted into L1', `${loadJobs.reduce((sum, job) => sum + job.samplesOut, 0).toLocaleString('en-US')} samples in ${loadJobs.length} jobs during the load`],
  ['compaction lag (load)', `p50 ${fmt(percentile(loadLags, 50), 1000)} s, p99 ${lagP99.toFixed(1)} s, max ${fmt(percentile(loadLags, 100), 1000)} s over ${loadLags.length} segments (limit ${lagLimitS} s)`],
  ['compaction lag (drain)', `p99 ${fmt(percentile(drainLags, 99), 1000)} s over ${drainLags.length} segments (the last ones, cut by age by the tick)`],
  [
    'backlog',
    during.length === 0
      ? `not judged (no status read after the ${warmUpMs / 1000} s warm-up); max ${Math.max(0, ...statusPoints.map((p) => p.backlog))}`
      : `mean ${backlogEarly.toFixed(0)} in the first third, ${backlogLate.toFixed(0)} in the last; max ${Math.max(0, ...during.map((p) => p.backlog))}`,
  ],
  [
    'uncompacted samples',
    (uncompactedSlope === undefined
      ? `not judged (the load is no longer than the ${warmUpMs / 1000} s warm-up)`
      : `grow by ${millions(uncompactedSlope)} a minute (least-squares slope over ${during.length} status reads after the ${warmUpMs / 1000} s warm-up; ` +
        `limit ${millions(uncompactedGrowthLimit)}, ${maxUncompactedGrowth * 100} % of the rate accepted)`) +
      (during.length === 0 ? '' : `; mean ${millions(uncompactedEarly)} in the first third, ${millions(uncompactedLate)} in the last`),
  ],
  ['compacted / accepted', `${percent(compactedAfterWarmUp, acceptedAfterWarmUp)} after the warm-up (${millions(compactedAfterWarmUp)} of ${millions(acceptedAfterWarmUp)} samples; the jobs in flight at the end are not counted)`],
  ['largest shard state', `${(stateBytesMax / 1024).toFixed(1)} KB`],
  ['drain', `${quiet ? 'quiet' : 'NOT quiet'} after ${(drainMs / 1000).toFixed(0)} s`],
  ['loss check', `${loss.samplesRead.toLocaleString('en-US')} samples read from ${loss.liveBlocks} live blocks and ${loss.liveSegments} live segments; ${loss.found.toLocaleString('en-US')} acknowledged found, ${loss.missing} missing, ${loss.duplicates} duplicated, ${loss.foreign} foreign, ${loss.wrongValues} wrong values, ${loss.unacknowledged} from unacknowledged requests`],
  ['pipeline process', `${measured.cpuSeconds.toFixed(0)} CPU-s (${(measured.cpuSeconds / ((loadEndMs + drainMs) / 1000)).toFixed(2)} cores on average incl. drain), peak RSS ${(measured.peakRssBytes / 2 ** 20).toFixed(0)} MiB`],
  [
    'CPU by thread',
    `${threadCpu.ingest.toFixed(0)} s ingest, ${threadCpu.planner.toFixed(0)} s planner, ${threadCpu.compactor.toFixed(0)} s compactor, ${threadCpu.tick.toFixed(1)} s tick; ` +
      `the rest (${(measured.cpuSeconds - threadCpu.ingest - threadCpu.planner - threadCpu.compactor - threadCpu.tick).toFixed(0)} s) is the embedded S3/SQS, the event sources' polling, GC and I/O threads`,
  ],
  ['exports received', `${receiver.requests.length} remote-write requests from the rules`],
  [
    'after a block is written',
    `export record p50 ${fmt(percentile(phases.exportRecordMs, 50), 1000, 2)} s (over ${phases.exportRecordMs.length} jobs), commit p50 ${fmt(percentile(phases.commitMs, 50), 1000, 2)} s, ` +
      `delivering the exports p50 ${fmt(percentile(phases.deliveryMs, 50), 1000, 2)} s, p90 ${fmt(percentile(phases.deliveryMs, 90), 1000, 2)} s (from the pipeline log)`,
  ],
  ['JSON log', `${logMegabytes.toFixed(1)} MB, ${(logMegabytes / (ackedSamples / 1e6)).toFixed(2)} MB per million samples (level info)`],
  ['load average', `${formatLoadAverage(loadAverageAtStart)} at the start, ${formatLoadAverage(loadAverageAtEnd)} at the end of the drain (1, 5, 15 min; ${availableParallelism()} cores)`],
];
console.log('\nsummary');
const nameWidth = Math.max(...summaryRows.map(([name]) => name.length));
for (const [name, value] of summaryRows) console.log(`  ${name.padEnd(nameWidth)}  ${value}`);
for (const example of loss.examples) console.log(`  ${example}`);

// ---- cost ----
const estimate = usageModel.usage['CPU time + AWS latency'];
const perMillion = perMillionSamples(costOf(estimate, prices), ackedSamples);
const amp = prices.ampIngestedSample * 1e6;
console.log(`\ncost per million samples at AWS list prices (${prices.region}, ${prices.asOf}; lib/cost/prices.ts), from this run's counts,`);
console.log(`with the functions' durations taken three ways (the last is the estimate), as docs/performance.md has the table:`);
console.log(costTable(usageModel.usage));
console.log(`Amazon Managed Service for Prometheus ingestion: $${amp.toFixed(4)} per million samples (first tier); Strata (from measured counts; Lambda durations estimated): $${perMillion.total.toFixed(4)}, ${((perMillion.total / amp) * 100).toFixed(1)}% of it.`);
console.log(`\nper million samples, from measured counts; Lambda durations estimated (CPU time + ${awsLatencyMsPerRequest} ms per S3/SQS request):`);
const scale = 1e6 / ackedSamples;
const measuredFunctions = measured.usage.functions;
console.log(
  table(
    ['function / request', 'price class', 'per M samples', '$ per M samples'],
    [
      ...estimate.functions.map((fn) => {
        const measuredFn = measuredFunctions[fn.name as keyof typeof measuredFunctions];
        const each = (ms: number) => (fn.invocations === 0 ? '-' : (ms / fn.invocations).toFixed(0));
        const cost = functionCost(fn, prices);
        return [
          `${fn.name} invocations (${fn.memoryMb} MB; ms each: ${each(measuredFn.billedMs)} wall, ${each(measuredFn.cpuMs)} CPU, ${each(billedMs(fn))} estimate)`,
          'lambda',
          (fn.invocations * scale).toFixed(1),
          `$${((cost.compute + cost.requests) * scale).toFixed(5)}`,
        ];
      }),
      ...estimate.requests
        .filter((request) => request.units > 0)
        .map((request) => [request.label, request.priceClass, (request.units * scale).toFixed(1), `$${(request.units * scale * unitPrice(request.priceClass, prices)).toFixed(5)}`]),
    ],
  ),
);
for (const { label, requests } of usageModel.excluded) console.log(`  left out: ${label}: ${requests}`);
const batchSizes = [250, 500, 1000, 2000, 5000, 10000];
const jobSizes = [10, 20, 50, 100];
console.log(`\nextrapolated: total $ per million samples by series per request (rows) and L0 segments per job (columns); this run: ${seriesPerRequest} × ${segmentsPerJob}`);
const matrix = batchSizes.map((n) => [
  String(n),
  ...jobSizes.map((k) => `$${perMillionSamples(costOf(scaleUsage(estimate, { seriesPerRequest: n, segmentsPerJob: k }), prices), ackedSamples).total.toFixed(4)}`),
]);
console.log(table(['series/request', ...jobSizes.map((k) => `${k} seg/job`)], matrix));

// ---- plot, files, verdict ----
const svg = loadPlot({
  title: `Strata under load: ${millions(workload.scheduledSamplesPerMinute)} samples/min for ${minutes} min`,
  rows,
  statusPoints,
  targetRate,
  lagLimitS,
  endS: Math.max(durationMs, statusPoints.at(-1)?.at ?? 0) / 1000,
  loadEndS: loadEndMs / 1000,
});
const svgPath = join(outDir, 'load.svg');
writeFileSync(svgPath, svg);
const summaryPath = join(outDir, 'summary.json');
writeFileSync(
  summaryPath,
  JSON.stringify(
    { settings: { minutes, targetRate, seriesPerRequest, tenants, scrapeSeconds, concurrency, tickSeconds, shardCount, segmentsPerJob, l0MaxAgeMs, compactorThreads, mergeThreads }, loadEndMs, drainMs, rows, statusPoints, loss,
      growth: { warmUpMs, uncompactedSlope, uncompactedGrowthLimit, acceptedAfterWarmUp, compactedAfterWarmUp },
      loadAverage: { start: loadAverageAtStart, end: loadAverageAtEnd }, summary: Object.fromEntries(summaryRows), usage: measured, model: usageModel, costPerMillion: perMillion, failures },
    null,
    2,
  ) + '\n',
);
console.log(`\nplot: ${svgPath}\nsummary: ${summaryPath}\npipeline log: ${logPath}`);
if (failures.length === 0) {
  console.log('\nall targets met');
} else {
  console.log('\nTARGETS MISSED:');
  for (const failure of failures) console.log(`  - ${failure}`);
  process.exitCode = 1;
}

// ---- helpers ----

async function readStatus(): Promise<StatusPoint> {
  const shards = await shardStatuses(store, Date.now());
  const depths = await Promise.all(Object.values(ready.queues).map((url) => queueDepth(sqs, url)));
  const pendingSegments = shards.reduce((sum, shard) => sum + shard.pendingSegments, 0);
  const openJobs = shards.reduce((sum, shard) => sum + shard.openJobs, 0);
  const undeliveredExports = shards.reduce((sum, shard) => sum + shard.exports.undelivered, 0);
  const queued = depths.reduce((sum, depth) => sum + depth.visible + depth.inFlight, 0);
  return {
    at: Date.now() - startMs,
    pendingSegments,
    openJobs,
    queued,
    undeliveredExports,
    backlog: pendingSegments + queued + undeliveredExports,
    uncompacted: uncompactedAt(Date.now()),
    stateBytesMax: Math.max(0, ...shards.map((shard) => shard.stateBytes)),
  };
}

function uncompactedAt(at: number): number {
  const accepted = progress.filter((p) => p.at <= at).reduce((sum, p) => sum + p.ackedSamples, 0);
  return accepted - completedJobs.filter((job) => job.level === 1 && job.at <= at).reduce((sum, job) => sum + job.samplesOut, 0);
}

function printRow(index: number): void {
  const from = index * intervalMs;
  const to = Math.min(durationMs, from + intervalMs);
  const inside = (at: number) => at - startMs >= from && at - startMs < to;
  const accepted = progress.filter((p) => inside(p.at)).reduce((sum, p) => sum + p.ackedSamples, 0);
  const jobs = completedJobs.filter((job) => job.level === 1 && inside(job.at));
  const compacted = jobs.reduce((sum, job) => sum + job.samplesOut, 0);
  const row = intervalRow(from, to, accepted, compacted, statusPoints, jobs.flatMap((job) => job.sourceLagsMs), uncompactedAt(startMs + to));
  rows.push(row);
  if (tty) process.stderr.write('\r\x1b[K');
  console.log(tableLine(rowCells(row), rowWidths));
}

function progressLine(): string {
  const elapsed = (Date.now() - startMs) / 1000;
  const recent = progress.filter((p) => Date.now() - p.at <= 10_000);
  const rate = (recent.reduce((sum, p) => sum + p.ackedSamples, 0) * 6) / 1e6;
  const last = statusPoints.at(-1);
  const lags = completedJobs.filter((job) => job.level === 1 && Date.now() - job.at <= 60_000).flatMap((job) => job.sourceLagsMs);
  return (
    `\x1b[K${Math.floor(elapsed / 60)}:${String(Math.floor(elapsed % 60)).padStart(2, '0')} / ${minutes} min  ` +
    `accepted ${rate.toFixed(2)}M/min  backlog ${last?.backlog ?? '-'} (${last?.pendingSegments ?? '-'} pending, ${last?.queued ?? '-'} queued)  ` +
    `lag p99 ${fmt(percentile(lags, 99), 1000)} s  in flight ${progress.at(-1)?.inFlight ?? 0}`
  );
}

function costTable(usage: Record<DurationBasis, MeasuredUsage>): string {
  const rows: Array<[string, DurationBasis]> = [
    ['local wall time (too high)', 'local wall time'],
    ['CPU time (too low: no waiting)', 'CPU time'],
    [`**CPU time + ${awsLatencyMsPerRequest} ms per S3/SQS request the function makes**`, 'CPU time + AWS latency'],
  ];
  return markdownTable(
    ['Lambda durations', 'GB-s', 'Lambda requests', 'S3 PUT/POST/LIST', 'S3 GET/HEAD', 'SQS', '**total per M samples**'],
    rows.map(([label, basis]) => {
      const cost = perMillionSamples(costOf(usage[basis], prices), usage[basis].samples);
      const total = `$${cost.total.toFixed(5)}`;
      return [label, ...[cost.lambdaCompute, cost.lambdaRequests, cost.s3Tier1, cost.s3Tier2, cost.sqs].map((v) => `$${v.toFixed(5)}`), basis === 'CPU time + AWS latency' ? `**${total}**` : total];
    }),
  );
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((part / whole) * 100).toFixed(1)} %`;
}

function formatLoadAverage(average: number[]): string {
  return average.map((value) => value.toFixed(2)).join(', ');
}

function fmt(value: number | undefined, divisor = 1, digits = divisor === 1 ? 0 : 1): string {
  return value === undefined ? '-' : (value / divisor).toFixed(digits);
}

function startChild(path: string, nodeArgs: string[]): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', new URL(path, import.meta.url).pathname], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
}

function requestPipeline(message: PipelineRequest): void {
  pipeline.send(message);
}

/** Waits for the child's next message of a type. */
function messagesOf<M extends { type: string }>(child: ChildProcess) {
  return {
    next<T extends M['type']>(type: T, timeoutMs: number): Promise<Extract<M, { type: T }>> {
      return new Promise((resolveMessage, rejectMessage) => {
        const timer = setTimeout(() => rejectMessage(new Error(`no ${type} from the child within ${timeoutMs} ms`)), timeoutMs);
        const onExit = (code: number | null) => rejectMessage(new Error(`the child exited with ${code} before ${type}`));
        const onMessage = (message: M) => {
          if (message.type !== type) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolveMessage(message as Extract<M, { type: T }>);
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
      });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, Math.max(0, ms)));
}
