/**
 * Export records against a real Prometheus 2.42 remote-write receiver (no out-of-order window):
 * a record chain arrives, an identical resend is accepted (204, not 400), an older record after a
 * newer one is refused (which is why records are never sent out of order), PromQL sees the
 * running totals and their increase(), and a write that landed but was answered 500 by a proxy is
 * retried without a 400.
 *
 * Needs the `prometheus` binary (apt-get install -y prometheus, or STRATA_PROMETHEUS_BIN). Without
 * it the suite skips loudly; under CI=true it fails.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeExportRecord } from '../../lib/export/chain.js';
import { deliverExports, recordTimeSeries } from '../../lib/export/delivery.js';
import type { ExportRecord } from '../../lib/export/record.js';
import { updateDeliveryState } from '../../lib/export/state.js';
import { RemoteWriteClient } from '../../lib/remotewrite/client.js';
import { RemoteWriteRejectedError } from '../../lib/remotewrite/errors.js';
import { jobOf, shard, tenant } from '../helpers/export-fixtures.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';

const binary = findPrometheus();
const missing = binary === undefined ? 'prometheus not found: install it with `apt-get update && apt-get install -y prometheus` (2.42) or set STRATA_PROMETHEUS_BIN' : undefined;
if (missing !== undefined && process.env['CI'] !== 'true') console.warn(`\n*** SKIPPING the Prometheus receiver test: ${missing} ***\n`);

describe('export to a real Prometheus 2.42 receiver', { skip: process.env['CI'] === 'true' ? false : missing, timeout: 120_000 }, () => {
  let prometheus: ChildProcess | undefined;
  let directory = '';
  let base = '';
  let log = '';

  before(async () => {
    if (binary === undefined) throw new Error(`CI=true requires Prometheus: ${missing}`);
    directory = await mkdtemp(join(tmpdir(), 'strata-prometheus-'));
    await writeFile(join(directory, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      binary,
      [
        `--config.file=${join(directory, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    prometheus.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${log}`);
      const ready = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus did not become ready:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  after(async () => {
    if (prometheus !== undefined && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus!.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await exited;
    }
    if (directory !== '') await rm(directory, { recursive: true, force: true });
  });

  it('takes the record chain, accepts an identical resend, and PromQL sees the totals and increase()', async () => {
    const store = new MemoryObjectStore();
    const client = new RemoteWriteClient({ url: `${base}/api/v1/write`, retry: { maxRetryTimeMs: 5_000 } });
    const deps = { store, client, tenantRouting: { mode: 'header', header: 'X-Scope-OrgID' } as const };
    const start = Math.floor(Date.now() / 1000) * 1000 - 120_000;
    const increments: Array<Record<string, number>> = [{ a: 1.5, b: 2 }, { a: 0.25 }, { a: 3, b: 0.5 }, { a: 0.125 }];
    const records: ExportRecord[] = [];
    for (const [i, values] of increments.entries()) {
      const { job, input } = jobOf(`job-${i + 1}`, start + 10_000 * (i + 1), values);
      records.push((await writeExportRecord({ store }, job, input)).record);
      // Deliver after every job, as the compactor does.
      const result = await deliverExports(deps, tenant, shard);
      assert.equal(result.outcome, 'delivered', result.error?.message);
    }

    // An identical resend of the latest record, by the client and through the delivery path.
    const latest = records.at(-1)!;
    const resend = await client.send(recordTimeSeries(latest, deps.tenantRouting, true).series, { tenant });
    assert.equal(resend.status, 204);
    await updateDeliveryState(store, tenant, shard, (state) => ({ next: { ...state, delivered: state.delivered - 1 }, result: undefined }));
    const redelivered = await deliverExports(deps, tenant, shard);
    assert.deepEqual([redelivered.outcome, redelivered.sent], ['delivered', [4]]);

    assert.doesNotMatch(log, /out of order|duplicate sample/i, 'Prometheus refused nothing of the chain or its resends');

    // Why order matters: an older record after a newer one is an out-of-order sample, and the whole request is refused.
    await assert.rejects(client.send(recordTimeSeries(records[1]!, deps.tenantRouting, true).series), (e: unknown) => e instanceof RemoteWriteRejectedError && e.status === 400);

    const at = latest.ts / 1000;
    const series = `up:sum{k="a", strata_rule="up_sum", strata_shard="${shard}"}`;
    assert.equal(await instant(series, at), 1.5 + 0.25 + 3 + 0.125);
    assert.equal(await instant(`up:sum{k="b"}`, at), 2.5);
    assert.equal(await instant(`strata_compactor_jobs_total{strata_shard="${shard}"}`, at), 4);

    // increase() over the last 25 s holds samples 2, 3 and 4 of series a.
    const points = records.map((r) => [r.ts, r.series.find((s) => s.labels.some((l) => l.name === 'k' && l.value === 'a'))!.value] as [number, number]);
    const expected = extrapolatedIncrease(points.filter(([t]) => t >= latest.ts - 25_000), latest.ts - 25_000, latest.ts);
    const actual = await instant(`increase(${series}[25s])`, at);
    assert.ok(Math.abs(actual - expected) < 1e-9, `increase() = ${actual}, expected ${expected}`);
    assert.ok(actual > 3 + 0.125, 'increase() covers the counts of the last two jobs');
  });

  it('a write that reached Prometheus but was answered 500 by a proxy is retried as an exact duplicate: 204, not 400', async () => {
    const store = new MemoryObjectStore();
    const upstream: number[] = [];
    let failNext = 1;
    const proxy = createHttpServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name))) as Record<string, string>;
        const answer = await fetch(`${base}/api/v1/write`, { method: 'POST', headers, body: Buffer.concat(chunks) });
        upstream.push(answer.status);
        await answer.arrayBuffer();
        const status = failNext-- > 0 ? 500 : answer.status;
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = proxy.address() as { port: number };
      const client = new RemoteWriteClient({ url: `http://127.0.0.1:${port}/api/v1/write`, retry: { minBackoffMs: 10, maxRetryTimeMs: 5_000 } });
      const deps = { store, client, tenantRouting: { mode: 'label', label: 'strata_tenant' } as const };
      const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
      for (const [i, values] of [{ x: 1 }, { x: 2 }].entries()) {
        const { job, input } = jobOf(`proxy-job-${i + 1}`, start + 10_000 * (i + 1), values);
        const { record } = await writeExportRecord({ store }, job, input);
        failNext = 1;
        const result = await deliverExports(deps, tenant, shard);
        assert.deepEqual([result.outcome, result.sent], ['delivered', [record.sequence]]);
      }

      assert.deepEqual(upstream, [204, 204, 204, 204]);
      assert.equal(await instant(`up:sum{k="x", strata_tenant="${tenant}"}`, (start + 20_000) / 1000), 3);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  async function instant(query: string, time: number): Promise<number> {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${time}`);
    const body = (await response.json()) as { status: string; data: { result: Array<{ value: [number, string] }> } };
    assert.equal(body.status, 'success', JSON.stringify(body));
    assert.equal(body.data.result.length, 1, `${query}: ${JSON.stringify(body.data.result)}`);
    return Number(body.data.result[0]!.value[1]);
  }
});

/** Prometheus 2.42's extrapolatedRate for increase() (promql/functions.go), for one counter without resets. */
function extrapolatedIncrease(points: Array<[number, number]>, rangeStart: number, rangeEnd: number): number {
  const [firstT, firstV] = points[0]!;
  const [lastT, lastV] = points.at(-1)!;
  const result = lastV - firstV;
  let durationToStart = (firstT - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - lastT) / 1000;
  const sampledInterval = (lastT - firstT) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (points.length - 1);
  if (result > 0 && firstV >= 0) {
    const durationToZero = sampledInterval * (firstV / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  return result * (extrapolateToInterval / sampledInterval);
}

function findPrometheus(): string | undefined {
  const configured = process.env['STRATA_PROMETHEUS_BIN'];
  if (configured !== undefined && configured !== '') return existsSync(configured) ? configured : undefined;
  for (const directory of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(directory, 'prometheus');
    if (directory !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
