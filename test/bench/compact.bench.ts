/**
 * `npm run bench:compact`: merging N segments into one block, against the decode-only floor
 * (decompress and decode the same inputs, nothing else), in the same run on the same files.
 *
 * Each measurement runs in a fresh child process so that its peak RSS (getrusage maxrss) is its
 * own. Inputs are scrape-like series: every series in every segment, consecutive 15 s samples, so
 * the merge does real work on each series.
 *
 * Then, once, the job as Lambda runs it: the segments are uploaded to the embedded stack and
 * planned into one job, and a child process runs the compactor's handler on the job's message
 * (AWS SDK clients, ranged GETs of the sources, the block's multipart upload, the commit): its peak
 * RSS is the figure to hold against a 512 MB Lambda.
 *
 *   npm run bench:compact -- [--segments 20] [--segment-mib 8] [--rounds 3]
 *
 * To profile one side: KEEP_BENCH_DIR=1 keeps the inputs (their folder is printed), then
 *   node --cpu-prof --import tsx test/bench/compact.bench.ts --child merge <folder>
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import snappy from 'snappyjs';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createCompactorHandler } from '../../functions/compactor.js';
import { createPlannerHandler } from '../../functions/planner.js';
import { createSqsClient, type Env } from '../../lib/aws/clients.js';
import { buildBlock } from '../../lib/compact/block.js';
import { toRecord } from '../../lib/local/runner.js';
import { readShardState } from '../../lib/metastore/cas.js';
import { readJobSpec } from '../../lib/plan/commit.js';
import { silentLogger } from '../../lib/log/logger.js';
import type { BlockOutput } from '../../lib/compact/output.js';
import { strata } from '../../lib/gen/segment.js';
import { contentUlid } from '../../lib/segment/build.js';
import { snappyCompress } from '../../lib/segment/snappy.js';
import { FileReader, FileWriter, type Series } from '../../lib/segment/format.js';
import { segmentKey } from '../../lib/segment/keys.js';
import { sqsEvent, startPlannerStack, takeEvents } from '../helpers/planner-stack.js';
import { sourcesOf } from '../helpers/segments.js';

interface Measurement {
  cpuSeconds: number;
  samples: number;
  inputBytes: number;
  outputBytes: number;
  maxRssMb: number;
}

const tenant = 'bench';

/** Counts the block's bytes and drops them, as an upload would once a part has left. */
class CountingOutput implements BlockOutput {
  private bytes = 0;
  async write(chunks: readonly Uint8Array[]): Promise<void> {
    for (const chunk of chunks) this.bytes += chunk.length;
  }
  async finish(head: Uint8Array, chunks: readonly Uint8Array[]): Promise<number> {
    await this.write([head, ...chunks]);
    return this.bytes;
  }
  async discard(): Promise<void> {
    this.bytes = 0;
  }
}

interface JobMeasurement {
  cpuSeconds: number;
  wallSeconds: number;
  /** The process with its modules loaded (here through tsx, heavier than a Lambda bundle), before the job. */
  loadedRssMb: number;
  maxRssMb: number;
}

/** The compactor's handler on the one message of the jobs queue, as a Lambda invocation would run it. */
async function jobChild(envJson: string): Promise<void> {
  const env = JSON.parse(envJson) as Env & { QUEUE_ARN: string };
  const sqs = createSqsClient(env);
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: env.STRATA_JOBS_QUEUE_URL, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
  if (Messages?.length !== 1) throw new Error('expected the job on the jobs queue');
  const handler = createCompactorHandler({ env, logger: silentLogger });
  const loadedRssMb = process.memoryUsage().rss / 2 ** 20;
  const start = process.cpuUsage();
  const startedAt = performance.now();
  const { batchItemFailures } = await handler(sqsEvent([toRecord(Messages[0]!, env.QUEUE_ARN, env.AWS_REGION ?? 'us-east-1')]));
  const used = process.cpuUsage(start);
  if (batchItemFailures.length > 0) throw new Error('the job failed');
  sqs.destroy();
  process.stdout.write(JSON.stringify({ cpuSeconds: (used.user + used.system) / 1e6, wallSeconds: (performance.now() - startedAt) / 1000, loadedRssMb, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
}

/** Uploads the segments, plans them into one job and runs it in a child; returns what the child measured. */
async function measureJob(dir: string, count: number): Promise<JobMeasurement & { blockBytes: number }> {
  const stack = await startPlannerStack();
  try {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.seg'))) {
      await stack.store.put(segmentKey(tenant, 0, name.slice(0, -4)), readFileSync(join(dir, name)));
    }
    const env: Env = { ...stack.env, STRATA_SHARD_COUNT: '1', STRATA_L0_MAX_SEGMENTS: String(count), STRATA_L0_MAX_BYTES: String(2 ** 40), STRATA_L0_MAX_AGE_SECONDS: '86400' };
    const planned = await createPlannerHandler({ env, logger: silentLogger })(sqsEvent(await takeEvents(stack)));
    if (planned.batchItemFailures.length > 0) throw new Error('the planner failed');
    const { state } = await readShardState(stack.store, tenant, 0);
    const job = state.jobs.length === 1 ? await readJobSpec(stack.store, tenant, 0, state.jobs[0]!.id) : undefined;
    if (job?.sourceKeys.length !== count) throw new Error(`expected one job of ${count} segments, the planner made ${state.jobs.length}`);
    const output = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', 'job', JSON.stringify({ ...env, QUEUE_ARN: stack.resources.jobsQueue.arn })], { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      );
    });
    const block = await stack.store.head(job.outputKey);
    if (block === undefined) throw new Error(`the job committed no block at ${job.outputKey}`);
    return { ...(JSON.parse(output) as JobMeasurement), blockBytes: block.size };
  } finally {
    await stack.stop();
  }
}

async function childMain(mode: string, dir: string): Promise<void> {
  if (mode === 'job') return jobChild(dir);
  const files = readdirSync(dir).filter((name) => name.endsWith('.seg')).sort();
  const sources = files.map((name) => ({ key: segmentKey(tenant, 0, name.slice(0, -4)), bytes: readFileSync(join(dir, name)) }));
  const inputBytes = sources.reduce((sum, source) => sum + source.bytes.length, 0);
  const start = process.cpuUsage();
  let samples = 0;
  let outputBytes = 0;
  if (mode === 'floor') {
    // The generated protobufjs decoder on each decompressed chunk, no validation: the cheapest full decode.
    for (const source of sources) {
      for (const [, decoded] of FileReader.open(source.bytes).decodedChunks()) {
        for (const series of strata.segment.v1.SeriesBody.decode(decoded).series) samples += series.samples?.length ?? 0;
      }
    }
  } else {
    const block = await buildBlock({ tenant, shard: 0, level: 1, id: 'L1-bench', createdBy: 'bench', createdAtMs: 0 }, sourcesOf(sources), new CountingOutput());
    samples = block.stats.samplesIn;
    outputBytes = block.size;
  }
  const used = process.cpuUsage(start);
  const result: Measurement = {
    cpuSeconds: (used.user + used.system) / 1e6,
    samples,
    inputBytes,
    outputBytes,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

/** Writes `count` segments of about `mib` MiB each; returns the folder. */
function makeInputs(count: number, mib: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-compact-'));
  const seriesCount = 20_000;
  // About 6.5 bytes per sample compressed for this data (measured); size the samples per series to hit `mib`.
  const samplesPerSeries = Math.max(1, Math.round((mib * 2 ** 20) / 6.5 / seriesCount));
  for (let s = 0; s < count; s++) {
    const id = contentUlid(1.7e12 + s * 1000, new Uint8Array(32).fill(s + 1));
    const writer = new FileWriter({ tenant, shard: 0, level: 0, id, createdBy: 'bench', createdAtMs: 0, shardCount: 1 });
    const names = Array.from({ length: seriesCount }, (_, i) => `/api/v1/item/${String(i).padStart(6, '0')}`);
    for (let i = 0; i < seriesCount; i++) {
      const series: Series = {
        labels: [
          { name: '__name__', value: 'http_requests_total' },
          { name: 'instance', value: `node-${String(i >> 6).padStart(4, '0')}:9100` },
          { name: 'job', value: 'api' },
          { name: 'path', value: names[i]! },
        ],
        samples: Array.from({ length: samplesPerSeries }, (_, k) => ({
          timestamp: 1.7e12 + (s * samplesPerSeries + k) * 15_000,
          value: i * 7 + (s * samplesPerSeries + k) * 3,
        })),
        functions: [],
        stacks: [],
      };
      writer.add(series);
    }
    writeFileSync(join(dir, `${id}.seg`), writer.finish());
  }
  return dir;
}

/** Strata's snappy compressor against snappyjs on the first segment's decoded chunks, best of three passes each. */
function compressorComparison(dir: string): string {
  const first = readdirSync(dir).filter((name) => name.endsWith('.seg')).sort()[0]!;
  const chunks = [...FileReader.open(readFileSync(join(dir, first))).decodedChunks()].map(([, decoded]) => decoded);
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const rate = (compress: (input: Uint8Array) => Uint8Array) => {
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 3; pass++) {
      const start = process.cpuUsage();
      for (const chunk of chunks) compress(chunk);
      const used = process.cpuUsage(start);
      best = Math.min(best, (used.user + used.system) / 1e6);
    }
    return bytes / 2 ** 20 / best;
  };
  const ours = rate(snappyCompress);
  const reference = rate((input) => snappy.compress(input));
  return `snappy compression of ${(bytes / 2 ** 20).toFixed(1)} MiB of chunks: Strata ${ours.toFixed(0)} MiB/CPU-s, snappyjs ${reference.toFixed(0)} MiB/CPU-s (${(ours / reference).toFixed(2)}×)`;
}

function measure(mode: 'floor' | 'merge', dir: string): Measurement {
  const output = execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', mode, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(output) as Measurement;
}

async function parentMain(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { segments: { type: 'string' }, 'segment-mib': { type: 'string' }, rounds: { type: 'string' } } });
  const count = Number(values.segments ?? 20);
  const mib = Number(values['segment-mib'] ?? 8);
  const rounds = Number(values.rounds ?? 3);
  process.stderr.write(`writing ${count} segments of ~${mib} MiB…\n`);
  const dir = makeInputs(count, mib);
  try {
    const rows: Array<{ round: number; floor: Measurement; merge: Measurement }> = [];
    for (let round = 1; round <= rounds; round++) {
      rows.push({ round, floor: measure('floor', dir), merge: measure('merge', dir) });
      process.stderr.write(`round ${round}/${rounds} done\n`);
    }
    const { samples, inputBytes } = rows[0]!.floor;
    console.log(`inputs: ${count} segments, ${(inputBytes / 2 ** 20).toFixed(1)} MiB compressed, ${(samples / 1e6).toFixed(2)}M samples`);
    console.log('round  floor Msamples/s  merge Msamples/s  merge MB/s  ratio  floor RSS MB  merge RSS MB');
    for (const { round, floor, merge } of rows) {
      console.log(
        [
          String(round).padEnd(5),
          (floor.samples / floor.cpuSeconds / 1e6).toFixed(2).padStart(16),
          (merge.samples / merge.cpuSeconds / 1e6).toFixed(2).padStart(17),
          (merge.inputBytes / merge.cpuSeconds / 2 ** 20).toFixed(1).padStart(11),
          (floor.cpuSeconds / merge.cpuSeconds).toFixed(2).padStart(6),
          floor.maxRssMb.toFixed(0).padStart(13),
          merge.maxRssMb.toFixed(0).padStart(13),
        ].join(' '),
      );
    }
    const best = (key: 'floor' | 'merge') => Math.min(...rows.map((row) => row[key].cpuSeconds));
    console.log(compressorComparison(dir));
    console.log(`best-of-${rounds} ratio merge/floor (samples per CPU-second): ${(best('floor') / best('merge')).toFixed(2)} (target ≥ 0.60)`);
    console.log(`peak RSS of the merge (sources in memory, block counted and dropped): ${Math.max(...rows.map((row) => row.merge.maxRssMb)).toFixed(0)} MB`);
    process.stderr.write('running the job through the compactor handler on the embedded stack…\n');
    const job = await measureJob(dir, count);
    console.log(
      `the job as Lambda runs it (handler, SDK, ranged GETs, multipart upload of a ${(job.blockBytes / 2 ** 20).toFixed(1)} MiB block, commit): ` +
        `${job.cpuSeconds.toFixed(2)} CPU-s, ${job.wallSeconds.toFixed(2)} s, peak RSS ${job.maxRssMb.toFixed(0)} MB (Lambda: 512 MB; ${job.loadedRssMb.toFixed(0)} MB before the job, with tsx)`,
    );
  } finally {
    if (process.env.KEEP_BENCH_DIR === undefined) rmSync(dir, { recursive: true, force: true }); else process.stderr.write(`kept ${dir}\n`);
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child') await childMain(argv[1]!, argv[2]!);
else await parentMain(argv);
