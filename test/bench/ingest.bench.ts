/**
 * `npm run bench:ingest`: remote-write ingest throughput per CPU-second, against Prometheus 2.42's
 * own receiver on identical payloads, in one run.
 *
 * 1. Strata: 200 requests of 2,000 series × 1 sample through `handleIngest`, writing segments to
 *    the embedded stack (run in a child process so its S3 server's CPU is not counted) with
 *    `S3Direct`, as the deployed function does: samples per CPU-second of this process
 *    (process.cpuUsage) and peak RSS.
 * 2. Prometheus 2.42 with --web.enable-remote-write-receiver: the same series POSTed to
 *    /api/v1/write, as many rounds as Strata's, each round's samples later than the last's (a
 *    sample Prometheus already has is not appended again); its CPU from /proc/<pid>/stat, less its
 *    idle rate; its peak RSS (VmHWM).
 * 3. Passthrough (wire scan + byte copy) against decode + re-encode (protobufjs objects →
 *    encodeFile), both without S3, on the same bodies.
 * 4. For the analysis: the handler with an in-memory store (no S3 client at all), once more with
 *    label sets no earlier request had (so the remote-write series cache never hits), and the CPU of one
 *    PutObject through `S3Direct`, through the AWS SDK v3 (S3ObjectStore), and as a bare node:http PUT
 *    of the same bytes.
 *
 * Both sides first run untimed warm-up rounds of the same series: Strata's JIT takes thousands of
 * requests to settle (its rounds kept getting faster after 20 warm-up requests), and Prometheus
 * creates its series in the head on first sight. The timed rounds then measure what a receiver
 * does all day, appending the next scrape of series it already knows.
 *
 * Environment: BENCH_REQUESTS (200), BENCH_SERIES (2000), BENCH_WARMUP_ROUNDS (3, untimed, each
 * side), BENCH_ROUNDS (5 timed rounds a side; each side's best and median are compared, and every
 * round is printed).
 */
import { spawn } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import snappy from 'snappyjs';
import { createS3Client } from '../../lib/aws/clients.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { S3Direct } from '../../lib/aws/s3-direct.js';
import { prometheus } from '../../lib/gen/prometheus.js';
import { decodeSnappy } from '../../lib/ingest/body.js';
import { defaultLimits, ingestConfig } from '../../lib/ingest/config.js';
import type { IngestDeps } from '../../lib/ingest/contract.js';
import { handleIngest } from '../../lib/ingest/handler.js';
import { parseRemoteWrite } from '../../lib/ingest/remote-write.js';
import { buildSegment } from '../../lib/segment/build.js';
import { silentLogger } from '../../lib/log/logger.js';
import { encodeFile, type Series } from '../../lib/segment/format.js';
import { compareLabelSets, shardOf, sortLabels } from '../../lib/segment/labels.js';
import { installHint, processPeakRss, prometheusBinary, startPrometheus } from '../helpers/ingest-prometheus.js';
import { MemoryStore, remoteWriteRequest } from '../helpers/ingest-fixtures.js';
import { percentile } from './load/report.js';

// The SDK warns about Node 20 on every client; the figures are what matter here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const requestCount = Number(process.env['BENCH_REQUESTS'] ?? 200);
const seriesCount = Number(process.env['BENCH_SERIES'] ?? 2000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const warmupRounds = Number(process.env['BENCH_WARMUP_ROUNDS'] ?? 3);
const shardCount = 4;
const scrapeIntervalMs = 15_000;

// ---- payloads: node_exporter-like series, labels sorted as Prometheus sends them ----
const metricNames = Array.from({ length: 100 }, (_, i) => `node_${['cpu', 'disk', 'network', 'memory', 'filesystem'][i % 5]}_metric_${i}_total`);
let seed = 42;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const seriesLabels = Array.from({ length: seriesCount }, (_, i) =>
  Object.entries({
    __name__: metricNames[i % metricNames.length]!,
    instance: `node-${Math.floor(i / 200)}.prod.example.com:9100`,
    job: 'node',
    cpu: String(i % 16),
    mode: ['user', 'system', 'idle', 'iowait', 'irq', 'softirq'][Math.floor(i / 100) % 6]!,
    device: `nvme${Math.floor(i / 1600)}n1`,
  })
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => ({ name, value })),
);
// Prometheus' rounds (warm-up included) take later scrapes each; the last ends just before now.
const firstTimestamp = Date.now() - ((warmupRounds + rounds) * requestCount + 4) * scrapeIntervalMs;

/** One remote-write request: every series' sample of scrape number `scrape`. */
function payload(scrape: number, labels = seriesLabels): Uint8Array {
  const timestamp = firstTimestamp + scrape * scrapeIntervalMs;
  const body = prometheus.WriteRequest.encode({
    timeseries: labels.map((l) => ({ labels: l, samples: [{ value: Math.round(random() * 1e9) / 1e3, timestamp }] })),
  }).finish();
  return snappy.compress(body);
}

const bodies = Array.from({ length: requestCount }, (_, r) => payload(r));
const totalSamples = requestCount * seriesCount;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const rate = (samples: number, seconds: number) => `${(samples / seconds / 1e6).toFixed(3)}M`;
console.log(
  `payload: ${requestCount} requests × ${seriesCount} series × 1 sample, 6 labels each; ${kb(bodies[0]!.length)} compressed, ` +
    `${kb(decodeSnappy(bodies[0]!, defaultLimits).length)} decoded per request; ${shardCount} shards`,
);

// ---- 1. Strata's handler with S3 writes to the embedded stack (in a child process) ----
const child = spawn(process.execPath, ['--import', 'tsx', new URL('./ingest-stack-child.ts', import.meta.url).pathname], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
});
const { endpoint, bucket } = await new Promise<{ endpoint: string; bucket: string }>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`the embedded stack exited with ${code}`)));
  createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as { endpoint: string; bucket: string }));
});
const s3 = createS3Client({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1' });
const s3Direct = new S3Direct(s3, bucket);
const deps: IngestDeps = { store: s3Direct, clock: Date.now, logger: silentLogger, config: ingestConfig({ shardCount }) };

async function runHandler(tenant: string, list: readonly Uint8Array[], with_: IngestDeps = deps): Promise<void> {
  for (const body of list) {
    const response = await handleIngest(remoteWriteRequest(body, { 'x-scope-orgid': tenant }, false), with_);
    if (response.status !== 204) throw new Error(`ingest answered ${response.status}: ${response.body}`);
  }
}

const rssBeforeHandler = process.resourceUsage().maxRSS * 1024;
for (let round = 0; round < warmupRounds; round++) await runHandler(`warmup-${round}`, bodies);
const strataRounds: number[] = [];
let strataCpu = Infinity;
let strataWall = 0;
for (let round = 0; round < rounds; round++) {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await runHandler(`bench-${round}`, bodies);
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = (cpu.user + cpu.system) / 1e6;
  strataRounds.push(seconds);
  if (seconds < strataCpu) [strataCpu, strataWall] = [seconds, (performance.now() - wallBefore) / 1000];
}
const strataPeakRss = process.resourceUsage().maxRSS * 1024;

// The CPU of one PutObject of a typical segment (a quarter of a request) through the SDK, and of
// the same bytes as a bare HTTP PUT (the embedded stack does not check signatures).
const [firstShard, firstSeries] = [...parseRemoteWrite(decodeSnappy(bodies[0]!, defaultLimits), { shardCount, maxTimestampMs: Date.now() + 3_600_000 }).shards][0]!;
const segmentBytes = buildSegment({ tenant: 'bench', shard: firstShard, shardCount, createdBy: 'bench', createdAtMs: 0 }, firstSeries, 1 << 20).bytes;
async function putCpuMs(put: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await put(i);
  const before = process.cpuUsage();
  for (let i = 0; i < 200; i++) await put(i);
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000 / 200;
}
const leanPutMs = await putCpuMs((i) => s3Direct.putIfAbsent(`bench-put/lean/${i}`, segmentBytes));
const sdkStore = new S3ObjectStore(s3, bucket);
const sdkPutMs = await putCpuMs((i) => sdkStore.putIfAbsent(`bench-put/sdk/${i}`, segmentBytes));
const agent = new Agent({ keepAlive: true });
const rawPutMs = await putCpuMs(
  (i) =>
    new Promise<void>((resolve, reject) => {
      const request = httpRequest(`${endpoint}/${bucket}/bench-put/raw/${i}`, { method: 'PUT', agent, headers: { 'if-none-match': '*', 'content-length': segmentBytes.length } }, (response) => {
        response.resume();
        response.once('end', () => resolve());
      });
      request.once('error', reject);
      request.end(segmentBytes);
    }),
);
agent.destroy();
child.stdin!.end();
s3Direct.destroy();
s3.destroy();

// The handler alone: the same requests with an in-memory store (the JIT is warm by now).
const memoryDeps: IngestDeps = { ...deps, store: new MemoryStore() };
await runHandler('memory-warmup', bodies, memoryDeps);
let handlerOnlyCpu = Infinity;
for (let round = 0; round < rounds; round++) {
  const before = process.cpuUsage();
  await runHandler(`memory-${round}`, bodies, memoryDeps);
  const cpu = process.cpuUsage(before);
  handlerOnlyCpu = Math.min(handlerOnlyCpu, (cpu.user + cpu.system) / 1e6);
}

// The same, with label sets no earlier request had (a new job value per request), so that the
// series cache never hits: what a sender's first push, or a churning one, costs.
let coldCpu = Infinity;
for (let round = 0; round < rounds; round++) {
  const coldBodies = Array.from({ length: requestCount }, (_, r) => payload(r, seriesLabels.map((labels) => labels.map((l) => (l.name === 'job' ? { ...l, value: `cold-${round}-${r}` } : l)))));
  const before = process.cpuUsage();
  await runHandler(`cold-${round}`, coldBodies, memoryDeps);
  const cpu = process.cpuUsage(before);
  coldCpu = Math.min(coldCpu, (cpu.user + cpu.system) / 1e6);
}

// ---- 2. Prometheus 2.42's remote-write receiver on the same bodies ----
const prometheusRounds: number[] = [];
let prometheusCpu: number | undefined;
let prometheusWall = 0;
let prometheusPeakRss = 0;
const binary = prometheusBinary();
if (binary === undefined) {
  console.log(`Prometheus: not found, skipped (${installHint})`);
} else {
  const server = await startPrometheus(binary, {
    config: 'global:\n  scrape_interval: 1h\n',
    extraArgs: ['--web.enable-remote-write-receiver', '--storage.tsdb.retention.time=1d'],
  });
  try {
    const idleStart = server.cpuSeconds();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const idleRate = (server.cpuSeconds() - idleStart) / 2;
    for (let round = 0; round < warmupRounds + rounds; round++) {
      const roundBodies = round === 0 ? bodies : Array.from({ length: requestCount }, (_, r) => payload(round * requestCount + r));
      const before = server.cpuSeconds();
      const wallBefore = performance.now();
      for (const body of roundBodies) {
        const response = await fetch(`${server.url}/api/v1/write`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
          body,
        });
        if (response.status !== 204) throw new Error(`prometheus answered ${response.status}: ${await response.text()}`);
      }
      const wall = (performance.now() - wallBefore) / 1000;
      // /proc counts in 10 ms ticks: let the last one land before reading.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const seconds = server.cpuSeconds() - before - idleRate * (wall + 0.05);
      if (round < warmupRounds) continue;
      prometheusRounds.push(seconds);
      if (prometheusCpu === undefined || seconds < prometheusCpu) [prometheusCpu, prometheusWall] = [seconds, wall];
    }
    prometheusPeakRss = processPeakRss(server.pid);
  } finally {
    await server.stop();
  }
}

// ---- 3. Passthrough against decode + re-encode, CPU only ----
function passthrough(body: Uint8Array): number {
  const batch = parseRemoteWrite(decodeSnappy(body, defaultLimits), { shardCount, maxTimestampMs: Date.now() + 3_600_000 });
  let bytes = 0;
  for (const [shard, series] of batch.shards) {
    bytes += buildSegment({ tenant: 'bench', shard, shardCount, createdBy: 'bench', createdAtMs: 0 }, series, 1 << 20).bytes.length;
  }
  return bytes;
}

function decodeReencode(body: Uint8Array): number {
  const request = prometheus.WriteRequest.decode(decodeSnappy(body, defaultLimits));
  const byShard = new Map<number, Series[]>();
  for (const ts of request.timeseries) {
    const labels = sortLabels((ts.labels ?? []).map((l) => ({ name: l.name ?? '', value: l.value ?? '' })));
    const series: Series = {
      labels,
      samples: (ts.samples ?? []).map((s) => ({ timestamp: s.timestamp ?? 0, value: s.value ?? 0 })).sort((a, b) => a.timestamp - b.timestamp),
      functions: [],
      stacks: [],
    };
    const shard = shardOf(labels, shardCount);
    let list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, (list = []));
    list.push(series);
  }
  let bytes = 0;
  for (const [shard, series] of byShard) {
    series.sort((a, b) => compareLabelSets(a.labels, b.labels));
    bytes += encodeFile({ tenant: 'bench', shard, level: 0, id: '01JD5Z3Q4R8X9V2W6T7Y0K1M3N', createdBy: 'bench', createdAtMs: 0, shardCount }, series).length;
  }
  return bytes;
}

function cpuOf(path: (body: Uint8Array) => number): number {
  for (const body of bodies.slice(0, 20)) path(body); // warm-up
  let best = Infinity;
  for (let round = 0; round < Math.max(rounds, 1); round++) {
    const before = process.cpuUsage();
    for (const body of bodies) path(body);
    const cpu = process.cpuUsage(before);
    best = Math.min(best, (cpu.user + cpu.system) / 1e6);
  }
  return best;
}
const passthroughCpu = cpuOf(passthrough);
const decodeCpu = cpuOf(decodeReencode);

// ---- report ----
const strataRate = totalSamples / strataCpu;
const row = (name: string, seconds: number, wall: string, rss: string) =>
  console.log(`${name.padEnd(52)}${rate(totalSamples, seconds).padStart(10)}   ${seconds.toFixed(2).padStart(6)}   ${wall.padStart(6)}   ${rss}`);
console.log('');
console.log(`${'remote write, same bodies'.padEnd(52)}${'samples/CPU-s'.padStart(10)}   ${'CPU s'.padStart(6)}   ${'wall s'.padStart(6)}   peak RSS`);
row('Strata handleIngest + S3 PutObject (S3Direct, embedded S3)', strataCpu, strataWall.toFixed(2), `${mb(strataPeakRss)} (bench process; ${mb(rssBeforeHandler)} before the handler ran)`);
if (prometheusCpu !== undefined) {
  row('Prometheus 2.42 receiver (/api/v1/write)', prometheusCpu, prometheusWall.toFixed(2), mb(prometheusPeakRss));
  console.log(`ratio Strata / Prometheus: ${(strataRate / (totalSamples / prometheusCpu)).toFixed(2)}× (target ≥ 2×), best round against best round`);
  console.log(`  median round against median round: ${(percentile(prometheusRounds, 50)! / percentile(strataRounds, 50)!).toFixed(2)}×`);
}
const timedRounds = `${rounds} timed round${rounds === 1 ? '' : 's'} a side after ${warmupRounds} untimed`;
const roundRates = (list: number[]) => list.map((seconds) => rate(totalSamples, seconds)).join(', ');
console.log(`${timedRounds}, samples/CPU-s: Strata ${roundRates(strataRounds)}${prometheusRounds.length === 0 ? '' : `; Prometheus ${roundRates(prometheusRounds)}`}`);
console.log('');
console.log('where the handler CPU goes');
row('Strata handleIngest, in-memory store (no S3 client)', handlerOnlyCpu, '', '');
row('  the same, every label set new (series cache misses)', coldCpu, '', '');
if (prometheusCpu !== undefined) console.log(`  ratio without the S3 client: ${(totalSamples / handlerOnlyCpu / (totalSamples / prometheusCpu)).toFixed(2)}× Prometheus`);
console.log(`  one PutObject of ${kb(segmentBytes.length)}: ${leanPutMs.toFixed(2)} ms CPU through S3Direct, ${sdkPutMs.toFixed(2)} ms through the AWS SDK v3 (S3ObjectStore), ${rawPutMs.toFixed(2)} ms as an unsigned bare node:http PUT`);
console.log(`  S3 writes' share of the handler's CPU: ${(((strataCpu - handlerOnlyCpu) / strataCpu) * 100).toFixed(0)}% (${shardCount} PutObjects per request)`);
console.log('');
console.log(`${'segment building only, no S3'.padEnd(52)}${'samples/CPU-s'.padStart(10)}   ${'CPU s'.padStart(6)}`);
row('passthrough (wire scan, byte copy)', passthroughCpu, '', '');
row('decode + re-encode (protobufjs objects, encodeFile)', decodeCpu, '', '');
console.log(`passthrough speed-up: ${(decodeCpu / passthroughCpu).toFixed(2)}×`);
