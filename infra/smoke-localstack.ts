/**
 * The LocalStack smoke test, run by infra/deploy-localstack.sh after `osls deploy --stage local`:
 *
 *   push (ingest Function URL) ─┐
 *   strata segment build + put ─┴▶ segments/ ──S3 event──▶ planner ──▶ job ──▶ compactor ──▶ blocks/
 *                                                                                  └──▶ rule sample in Prometheus
 *
 * Each step prints what it saw; the first one that does not happen in time fails the run (exit 1).
 *
 * Environment (the deploy script sets it from `osls info`): AWS_ENDPOINT_URL, AWS_REGION,
 * STRATA_BUCKET, STRATA_INGEST_URL, STRATA_EVENTS_DLQ_URL, STRATA_JOBS_DLQ_URL, PROMETHEUS_URL.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createS3Client, createSqsClient } from '../lib/aws/clients.js';
import { S3ObjectStore } from '../lib/aws/s3.js';
import { FileReader } from '../lib/segment/format.js';

const run = promisify(execFile);
const env = process.env;

function required(name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new Error(`${name} is not set (infra/deploy-localstack.sh sets it)`);
  return value;
}

const bucket = required('STRATA_BUCKET');
const ingestUrl = new URL(required('STRATA_INGEST_URL'));
const prometheusUrl = env['PROMETHEUS_URL'] ?? 'http://127.0.0.1:9090';
const deadLetterQueues = [required('STRATA_EVENTS_DLQ_URL'), required('STRATA_JOBS_DLQ_URL')];
const timeoutMs = Number(env['SMOKE_TIMEOUT_SECONDS'] ?? 600) * 1000;
const runId = `smoke-${Date.now()}`;

const store = new S3ObjectStore(createS3Client(env), bucket);
const sqs = createSqsClient(env);
const started = Date.now();

function step(message: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, everyMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * POST to the Function URL. LocalStack serves it on its own port under the URL's host name
 * (<id>.lambda-url.<region>.localhost.localstack.cloud); sending to 127.0.0.1 with that Host header
 * works without resolving the name.
 */
function post(path: string, body: string, contentType: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(ingestUrl.port || 4566),
        method: 'POST',
        path,
        headers: { host: ingestUrl.host, 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Samples of `smoke_up{job=<job>}`, two per series, close to now so that every receiver takes them.
 * The job names carry the run id, so that a rerun on the same stack counts only its own samples.
 */
function samples(job: string, series: number): string {
  const now = Date.now();
  const lines: string[] = [];
  for (let i = 0; i < series; i++) {
    lines.push(JSON.stringify({ metric: 'smoke_up', labels: { job, instance: `${runId}-${i}` }, samples: [[now - 2000, 1], [now - 1000, 1]] }));
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  step(`bucket ${bucket}, ingest ${ingestUrl.origin}, run ${runId}`);

  // 0. The rules the `local` stage names (STRATA_RULES=s3://<bucket>/config/rules.yaml).
  await store.put('config/rules.yaml', readFileSync(new URL('./smoke/rules.yaml', import.meta.url)), { contentType: 'application/yaml' });
  step('rules uploaded to config/rules.yaml');

  // 1. Push through the ingest function.
  const pushed = await waitFor('the ingest function to answer', async () => {
    const response = await post('/v1/samples', samples(`${runId}-push`, 8), 'application/x-ndjson').catch((error: Error) => ({ status: 0, text: error.message }));
    if (response.status === 200) return response;
    step(`ingest answered ${response.status} ${response.text.slice(0, 200)} (a cold start pulls the runtime image; retrying)`);
    return undefined;
  });
  const pushedKeys = (JSON.parse(pushed.text) as { segments: Array<{ key: string }> }).segments.map((segment) => segment.key);
  step(`push → ${pushedKeys.length} segment(s): ${pushedKeys.join(', ')}`);

  // 2. Drop segments the way a user does: strata segment build, strata put.
  const dir = mkdtempSync(join(tmpdir(), 'strata-smoke-'));
  let droppedKeys: string[];
  try {
    writeFileSync(join(dir, 'samples.ndjson'), samples(`${runId}-drop`, 8));
    const cliEnv = { ...env, STRATA_BUCKET: bucket };
    await run('node', ['bin/strata.js', 'segment', 'build', '--out', join(dir, 'segs'), join(dir, 'samples.ndjson')], { env: cliEnv });
    const files = readdirSync(join(dir, 'segs')).map((file) => join(dir, 'segs', file));
    const { stdout } = await run('node', ['bin/strata.js', 'put', '--bucket', bucket, ...files], { env: cliEnv });
    droppedKeys = [...stdout.matchAll(/→ s3:\/\/[^/]+\/(\S+)/g)].map((match) => match[1]!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  step(`strata put → ${droppedKeys.length} segment(s): ${droppedKeys.join(', ')}`);
  const ours = [...pushedKeys, ...droppedKeys];
  for (const key of ours) if ((await store.head(key)) === undefined && !(await coveredBy(key))) throw new Error(`segment ${key} is not in the bucket`);

  // 3 and 4. The planner cuts jobs (20 segments or 30 s; the tick flushes by age every minute) and
  // the compactor writes one block per job, named after the job, whose header lists its sources.
  const blocks = await waitFor('blocks that replace every segment of this run', async () => {
    const covering = new Map<string, string>();
    for (const key of ours) {
      const block = await coveredBy(key);
      if (block === undefined) return undefined;
      covering.set(key, block);
    }
    return covering;
  });
  for (const [segment, block] of blocks) step(`job → block ${block} replaces ${segment}`);

  const [firstBlock] = new Set(blocks.values());
  const { stdout: inspected } = await run('node', ['bin/strata.js', 'inspect', '--series', '5', `s3://${bucket}/${firstBlock}`], { env });
  if (!inspected.includes('smoke_up')) throw new Error(`strata inspect of ${firstBlock} shows no smoke_up series:\n${inspected}`);
  step(`strata inspect s3://${bucket}/${firstBlock}: verified, smoke_up present`);

  // 5. The rule's running count reaches Prometheus by remote write.
  const expected = 2 * 8 * 2; // two pushes of 8 series with 2 samples each
  const query = `sum(smoke:up:count{job=~"${runId}-.*"})`;
  const value = await waitFor(`${query} in Prometheus to reach ${expected}`, async () => {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`).catch(() => undefined);
    if (!response?.ok) return undefined;
    const result = ((await response.json()) as { data?: { result?: Array<{ value: [number, string] }> } }).data?.result ?? [];
    const total = Number(result[0]?.value[1] ?? NaN);
    return total >= expected ? total : undefined;
  });
  step(`metric → ${query} = ${value} in Prometheus`);

  // 6. Nothing failed its way into a dead-letter queue.
  for (const url of deadLetterQueues) {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    const depth = Number(Attributes?.['ApproximateNumberOfMessages'] ?? 0);
    if (depth !== 0) throw new Error(`${url} holds ${depth} message(s): aws sqs receive-message --queue-url ${url} shows them`);
  }
  step('dead-letter queues are empty');
  step('smoke test passed');
}

const blockSources = new Map<string, string[]>();

/** The block whose header names this segment as a source, if one is there yet. */
async function coveredBy(segmentKey: string): Promise<string | undefined> {
  const [, tenant, shard, file] = segmentKey.split('/');
  const id = file?.replace(/\.seg$/, '');
  for await (const object of store.list(`blocks/${tenant}/${shard}/`)) {
    let sources = blockSources.get(object.key);
    if (sources === undefined) {
      const stored = await store.get(object.key);
      if (stored === undefined) continue;
      sources = FileReader.open(stored.body, { source: object.key }).header.sources;
      blockSources.set(object.key, sources);
    }
    if (id !== undefined && (sources.includes(id) || sources.includes(segmentKey))) return object.key;
  }
  return undefined;
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`smoke test FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
