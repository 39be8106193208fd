/**
 * `npm run bench:ingest`: remote-write ingest throughput per CPU-second, against Prometheus 2.42's
 * own receiver on identical payloads, in one run.
 *
 * 1. Strata: 200 requests of 2,000 series × 1 sample through `handleIngest`, writing segments to
 *    the embedded stack (run in a child process so its S3 server's CPU is not counted) with
 *    `S3Direct`, as the deployed function does: samples per CPU-second of this process
 *    (process.cpuUsage) and the process' peak RSS while the handler runs (sampled every 20 ms).
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
 * does all day, appending the next scrape of series it already knows. They run in pairs, a Strata
 * round then a Prometheus round: this machine's speed drifts by tens of percent within a minute,
 * and a pair sees the same machine. The ratio is the median of the pairs' ratios; each side's best
 * round against the other's is printed too.
 *
 * Environment: BENCH_REQUESTS (200), BENCH_SERIES (2000), BENCH_WARMUP_ROUNDS (3, untimed, each
 * side), BENCH_ROUNDS (7 timed rounds a side, every one printed).
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
import { varintLength, writeVarint } from '../../lib/segment/encode.js';
import { encodeFile, type Series } from '../../lib/segment/format.js';
import { compareLabelSets, shardOf, sortLabels } from '../../lib/segment/labels.js';
import { installHint, processPeakRss, prometheusBinary, startPrometheus, type RunningPrometheus } from '../helpers/ingest-prometheus.js';
import { MemoryStore, remoteWriteRequest } from '../helpers/ingest-fixtures.js';
import { percentile } from './load/report.js';

// The SDK warns about Node 20 on every client; the figures are what matter here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const requestCount = Number(process.env['BENCH_REQUESTS'] ?? 200);
const seriesCount = Number(process.env['BENCH_SERIES'] ?? 2000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 7);
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

/** A WriteRequest with one sample per series, and where each sample's value and timestamp lie. */
interface RequestTemplate {
  bytes: Uint8Array;
  valueAt: number[];
  timestampAt: number[];
}
const timestampBytes = 6; // every timestamp of the run is between 2^35 and 2^42 ms: a 6-byte varint

function requestTemplate(labels: typeof seriesLabels): RequestTemplate {
  const parts: Uint8Array[] = [];
  const valueAt: number[] = [];
  const timestampAt: number[] = [];
  let offset = 0;
  for (const l of labels) {
    const series = prometheus.TimeSeries.encode({ labels: l, samples: [{ value: 1, timestamp: firstTimestamp }] }).finish();
    const field = new Uint8Array(1 + varintLength(series.length)); // WriteRequest.timeseries: tag, length
    field[0] = 0x0a;
    writeVarint(field, 1, series.length);
    // The sample is the series' last field: 0x12, its length, 0x09, 8 value bytes, 0x10, the timestamp varint.
    valueAt.push(offset + field.length + series.length - timestampBytes - 9);
    timestampAt.push(offset + field.length + series.length - timestampBytes);
    parts.push(field, series);
    offset += field.length + series.length;
  }
  return { bytes: Buffer.concat(parts), valueAt, timestampAt };
}

const seriesTemplate = requestTemplate(seriesLabels);

/**
 * One remote-write request: every series' sample of scrape number `scrape`. Only the values and
 * timestamps of an encoded template are rewritten, so that making a round's bodies between timed
 * rounds leaves next to no garbage for the next round to collect.
 */
function payload(scrape: number, labels = seriesLabels): Uint8Array {
  const timestampMs = firstTimestamp + scrape * scrapeIntervalMs;
  if (varintLength(timestampMs) !== timestampBytes) throw new Error(`timestamp ${timestampMs} does not take ${timestampBytes} varint bytes`);
  const timestamp = new Uint8Array(timestampBytes);
  writeVarint(timestamp, 0, timestampMs);
  const template = labels === seriesLabels ? seriesTemplate : requestTemplate(labels);
  const body = template.bytes.slice();
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let i = 0; i < template.valueAt.length; i++) {
    view.setFloat64(template.valueAt[i]!, Math.round(random() * 1e9) / 1e3, true);
    body.set(timestamp, template.timestampAt[i]!);
  }
  return snappy.compress(body);
}

const bodies = Array.from({ length: requestCount }, (_, r) => payload(r));
{
  // The template's offsets are right if the body decodes to the labels, value and timestamp written.
  const check = prometheus.WriteRequest.decode(snappy.uncompress(payload(7)));
  const last = check.timeseries.at(-1)!;
  if (check.timeseries.length !== seriesCount || Number(last.samples![0]!.timestamp) !== firstTimestamp + 7 * scrapeIntervalMs || last.labels!.length !== 6) {
    throw new Error('the bench payload template does not decode to what it was given');
  }
}
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

// ---- 2. The timed rounds, in pairs: Strata's handler, then Prometheus 2.42's receiver on the same series ----
// Each Prometheus round takes the next scrapes (a sample Prometheus already has is not appended
// again); its bodies are made before its clock starts.
const prometheusBodies = (round: number) => (round === 0 ? bodies : Array.from({ length: requestCount }, (_, r) => payload(round * requestCount + r)));

/** The process' RSS sampled while the handler runs: its peak, and what it was when the handler started. */
const handlerRss = { start: 0, peak: 0 };
function sampleRssDuring<T>(run: () => Promise<T>): Promise<T> {
  const sample = () => (handlerRss.peak = Math.max(handlerRss.peak, process.memoryUsage.rss()));
  const timer = setInterval(sample, 20);
  return run().finally(() => {
    clearInterval(timer);
    sample();
  });
}
const binary = prometheusBinary();
if (binary === undefined) console.log(`Prometheus: not found, measuring Strata alone (${installHint})`);
const server =
  binary === undefined
    ? undefined
    : await startPrometheus(binary, { config: 'global:\n  scrape_interval: 1h\n', extraArgs: ['--web.enable-remote-write-receiver', '--storage.tsdb.retention.time=1d'] });
let idleRate = 0;
if (server !== undefined) {
  const idleStart = server.cpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  idleRate = (server.cpuSeconds() - idleStart) / 2;
}

/**
 * How long each round's CPU is still counted after its last request, before the other side starts:
 * work a receiver defers (garbage collection, WAL writes) belongs to its round. It also lets the
 * last 10 ms tick of /proc land.
 */
const settleMs = 250;
const settle = () => new Promise((resolve) => setTimeout(resolve, settleMs));

/** One Prometheus round: its CPU-seconds (from /proc, less its idle rate) and wall seconds. */
async function prometheusRound(running: RunningPrometheus, round: number): Promise<{ seconds: number; wall: number }> {
  const roundBodies = prometheusBodies(round);
  const before = running.cpuSeconds();
  const wallBefore = performance.now();
  for (const body of roundBodies) {
    const response = await fetch(`${running.url}/api/v1/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
      body,
    });
    if (response.status !== 204) throw new Error(`prometheus answered ${response.status}: ${await response.text()}`);
  }
  const wall = (performance.now() - wallBefore) / 1000;
  await settle();
  return { seconds: running.cpuSeconds() - before - idleRate * (wall + settleMs / 1000), wall };
}

/** One Strata round (a tenant of its own, so every segment is new): its CPU-seconds and wall seconds. */
async function strataRound(tenant: string): Promise<{ seconds: number; wall: number }> {
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await sampleRssDuring(() => runHandler(tenant, bodies));
  const wall = (performance.now() - wallBefore) / 1000;
  await settle();
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: (cpu.user + cpu.system) / 1e6, wall };
}

// Warm-up, then the timed rounds in pairs, Strata's then Prometheus', so that both sides of a pair
// run on the machine as it is at that moment: its speed drifts by tens of percent over a run.
const strataRounds: Array<{ seconds: number; wall: number }> = [];
const prometheusRounds: Array<{ seconds: number; wall: number }> = [];
let prometheusPeakRss = 0;
try {
  handlerRss.start = process.memoryUsage.rss();
  for (let round = 0; round < warmupRounds; round++) {
    await sampleRssDuring(() => runHandler(`warmup-${round}`, bodies));
    if (server !== undefined) await prometheusRound(server, round);
  }
  for (let round = 0; round < rounds; round++) {
    strataRounds.push(await strataRound(`bench-${round}`));
    if (server !== undefined) prometheusRounds.push(await prometheusRound(server, warmupRounds + round));
  }
  if (server !== undefined) prometheusPeakRss = processPeakRss(server.pid);
} finally {
  await server?.stop();
}
const fastest = (list: ReadonlyArray<{ seconds: number; wall: number }>) => list.reduce((best, one) => (one.seconds < best.seconds ? one : best));
const strataBest = fastest(strataRounds);

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
const row = (name: string, seconds: number, wall: string, rss: string) =>
  console.log(`${name.padEnd(52)}${rate(totalSamples, seconds).padStart(10)}   ${seconds.toFixed(2).padStart(6)}   ${wall.padStart(6)}   ${rss}`);
const prometheusBest = prometheusRounds.length === 0 ? undefined : fastest(prometheusRounds);
console.log('');
console.log(`${'remote write, same bodies, best round'.padEnd(52)}${'samples/CPU-s'.padStart(10)}   ${'CPU s'.padStart(6)}   ${'wall s'.padStart(6)}   peak RSS`);
row('Strata handleIngest + S3 PutObject (S3Direct, embedded S3)', strataBest.seconds, strataBest.wall.toFixed(2), `${mb(handlerRss.peak)} (bench process while the handler ran; ${mb(handlerRss.start)} at its first request)`);
if (prometheusBest !== undefined) {
  row('Prometheus 2.42 receiver (/api/v1/write)', prometheusBest.seconds, prometheusBest.wall.toFixed(2), mb(prometheusPeakRss));
  // A pair is a Strata round and the Prometheus round right after it; its ratio is Prometheus' CPU over Strata's.
  const pairRatios = strataRounds.map((strata, i) => prometheusRounds[i]!.seconds / strata.seconds);
  console.log(`ratio Strata / Prometheus, median of ${rounds} pairs of rounds run back to back: ${percentile(pairRatios, 50)!.toFixed(2)}× (target ≥ 2×)`);
  console.log(`  each pair: ${pairRatios.map((ratio) => `${ratio.toFixed(2)}×`).join(', ')}`);
  console.log(`  best round against best round: ${(prometheusBest.seconds / strataBest.seconds).toFixed(2)}×`);
}
const roundRates = (list: ReadonlyArray<{ seconds: number }>) => list.map((one) => rate(totalSamples, one.seconds)).join(', ');
console.log(
  `${rounds} timed round${rounds === 1 ? '' : 's'} a side after ${warmupRounds} untimed, samples/CPU-s: Strata ${roundRates(strataRounds)}` +
    `${prometheusRounds.length === 0 ? '' : `; Prometheus ${roundRates(prometheusRounds)}`}`,
);
console.log('');
console.log('where the handler CPU goes');
row('Strata handleIngest, in-memory store (no S3 client)', handlerOnlyCpu, '', '');
row('  the same, every label set new (series cache misses)', coldCpu, '', '');
if (prometheusBest !== undefined) console.log(`  ratio without the S3 client: ${(prometheusBest.seconds / handlerOnlyCpu).toFixed(2)}× Prometheus' best round`);
console.log(`  one PutObject of ${kb(segmentBytes.length)}: ${leanPutMs.toFixed(2)} ms CPU through S3Direct, ${sdkPutMs.toFixed(2)} ms through the AWS SDK v3 (S3ObjectStore), ${rawPutMs.toFixed(2)} ms as an unsigned bare node:http PUT`);
console.log(`  S3 writes' share of the handler's CPU: ${(((strataBest.seconds - handlerOnlyCpu) / strataBest.seconds) * 100).toFixed(0)}% (${shardCount} PutObjects per request; best rounds)`);
console.log('');
console.log(`${'segment building only, no S3'.padEnd(52)}${'samples/CPU-s'.padStart(10)}   ${'CPU s'.padStart(6)}`);
row('passthrough (wire scan, byte copy)', passthroughCpu, '', '');
row('decode + re-encode (protobufjs objects, encodeFile)', decodeCpu, '', '');
console.log(`passthrough speed-up: ${(decodeCpu / passthroughCpu).toFixed(2)}×`);
