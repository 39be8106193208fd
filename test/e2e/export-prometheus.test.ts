/**
 * Issue 6, end to end: rule counters reach a real Prometheus 2.42 receiver (no out-of-order window)
 * exactly, through the whole pipeline, also when things fail.
 *
 * Two pipelines write to one Prometheus, through a proxy that records every exchange and injects
 * faults per tenant (test/helpers/e2e-proxy.ts):
 * - `strata dev`, the real CLI process (embedded S3/SQS, ingest, planner, compactor, tick every 1 s,
 *   STRATA_L0_MAX_AGE_SECONDS=1);
 * - the same pipeline in this process (test/helpers/e2e-pipeline.ts), whose compactor can crash
 *   after the send or run a job twice.
 * Both send tenants as a `strata_tenant` label, so each test has its own tenant and its own series,
 * and the tests run concurrently.
 *
 * Each test pushes phases of known data (remote write and JSON samples, pprof profiles) through the
 * ingest server and computes the ground truth from that data (test/helpers/e2e-data.ts). It waits
 * for Prometheus to show, per rule and group, the ground truth summed over shards; then checks
 * `increase()` of every output series from its sample at the end of the first phase to its latest
 * one, summed over shards, against the counts pushed after the first phase.
 *
 * Needs /usr/bin/prometheus (apt-get install -y prometheus): without it the suite skips loudly, and
 * fails under CI=true.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { ObjectStore } from '../../lib/aws/contract.js';
import { createSqsClient } from '../../lib/aws/clients.js';
import { listLiveSet } from '../../lib/compact/live.js';
import { findLatestSequence, readExportRecord } from '../../lib/export/chain.js';
import { exportStatus } from '../../lib/export/delivery.js';
import { jobGroupId, jobMessageBody } from '../../lib/plan/dispatch.js';
import { shardStatuses } from '../../lib/status/status.js';
import { difference, groundTruth, groupLabelOf, makePhase, pushPhase, rulesYaml, totalsKey, type Phase, type Totals } from '../helpers/e2e-data.js';
import { startDev, type RunningDev } from '../helpers/e2e-dev.js';
import { startInProcessPipeline, type InProcessPipeline, type InvocationOutcome } from '../helpers/e2e-pipeline.js';
import { PrometheusApi, sameTotals, sorted } from '../helpers/e2e-prometheus.js';
import { RemoteWriteProxy } from '../helpers/e2e-proxy.js';
import { installHint, prometheusBinary, startPrometheus, type RunningPrometheus } from '../helpers/ingest-prometheus.js';

const binary = prometheusBinary();
const missing = binary === undefined ? `Prometheus not found: ${installHint}` : undefined;
if (missing !== undefined && process.env['CI'] !== 'true') console.warn(`\n*** SKIPPED: the end-to-end export tests need Prometheus. ${missing} ***\n`);

const shardCount = 4;
/** How long a phase may take from push to Prometheus (planner window 5 s, L0 age 1 s, tick 1 s). */
const phaseTimeoutMs = 40_000;
const pipelineEnv = {
  STRATA_L0_MAX_AGE_SECONDS: '1',
  STRATA_SHARD_COUNT: String(shardCount),
  STRATA_REMOTE_WRITE_TENANT_MODE: 'label',
  // A down receiver fails a send after 2 s (default 30 s), so the compactor and tick move on quickly.
  STRATA_REMOTE_WRITE_MAX_RETRY_MS: '2000',
};

describe('rule counters in a real Prometheus 2.42, end to end', { skip: process.env['CI'] === 'true' ? false : missing, timeout: 180_000, concurrency: true }, () => {
  let prometheus: RunningPrometheus | undefined;
  let api: PrometheusApi;
  let proxy: RemoteWriteProxy;
  let dev: RunningDev | undefined;
  let local: InProcessPipeline | undefined;
  let rulesDir = '';

  before(async () => {
    if (binary === undefined) throw new Error(`CI=true requires Prometheus: ${missing}`);
    prometheus = await startPrometheus(binary, {
      config: 'global:\n  scrape_interval: 1h\nscrape_configs: []\n',
      extraArgs: ['--web.enable-remote-write-receiver'],
    });
    api = new PrometheusApi(prometheus.url);
    proxy = new RemoteWriteProxy(`${prometheus.url}/api/v1/write`);
    await proxy.start();
    rulesDir = mkdtempSync(join(tmpdir(), 'strata-e2e-rules-'));
    writeFileSync(join(rulesDir, 'rules.yaml'), rulesYaml);
    [dev, local] = await Promise.all([
      startDev({
        args: ['--tick-seconds', '1', '--rules', 'rules.yaml', '--remote-write-url', proxy.url],
        env: { ...pipelineEnv, STRATA_LOG_LEVEL: 'info' },
        files: { 'rules.yaml': rulesYaml },
      }),
      startInProcessPipeline({ rulesPath: join(rulesDir, 'rules.yaml'), remoteWriteUrl: proxy.url, env: pipelineEnv }),
    ]);
  });

  after(async () => {
    await Promise.all([dev?.stop(), local?.stop()]);
    await proxy?.stop();
    await prometheus?.stop();
    if (rulesDir !== '') rmSync(rulesDir, { recursive: true, force: true });
    if (proxy !== undefined) {
      console.log(summary(proxy, local?.outcomes ?? []));
      // Across every test: the receiver refused nothing, and never saw a series go back in time or
      // one timestamp with two values.
      const refused = proxy.exchanges.filter((exchange) => exchange.upstream !== undefined && exchange.upstream !== 204);
      assert.deepEqual(refused, [], 'Prometheus answered something other than 204');
      assert.deepEqual(proxy.violations, []);
    }
  });

  it('proof 1: every rule’s latest counter and increase() equal the ground truth of the pushed metrics and profiles', async (t) => {
    const tenant = 'e2e-truth';
    const { phases, baselineMs } = await runPhases(dev!.devFile.ingestUrl, tenant, 3, 1);
    const truth = groundTruth(phases);
    t.diagnostic(`ground truth after 3 phases: ${JSON.stringify(sorted(truth))}`);
    assert.equal(truth.size, 9, 'the data feeds 9 output groups: 2 errors, 2 bytes, 2 gc_cpu, 3 cpu');

    // The output series: their labels, exactly.
    const series = await api.instant(`{__name__=~"e2e:.+", strata_tenant="${tenant}"}`);
    assert.ok(series.length >= truth.size, 'at least one series per group');
    for (const { metric } of series) {
      const rule = metric['strata_rule']!;
      const expected = ['__name__', 'strata_rule', 'strata_shard', 'strata_tenant', groupLabelOf[rule]!, ...(rule === 'gc_cpu' ? ['source'] : [])].sort();
      assert.deepEqual(Object.keys(metric).sort(), expected, JSON.stringify(metric));
      assert.match(metric['strata_shard']!, /^[0-3]$/);
      if (rule === 'gc_cpu') assert.equal(metric['source'], 'e2e');
    }

    await checkIncrease(tenant, phases, baselineMs);
    await settleAndRecheck(tenant, truth);
    await assertAllDelivered(dev!.store, tenant);
    assertNothingRefused(tenant);
  });

  it('proof 2a: the compactor crashes after the send, the job is redelivered, the tick resends: no 400, exact values', async () => {
    const tenant = 'e2e-crash';
    const ingestUrl = local!.ingestUrl;
    const phases: Phase[] = [makePhase(0, 2)];
    await pushPhase(ingestUrl, tenant, phases[0]!);
    const baselineMs = await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, 'phase 1');

    // Crash the next job that sends (a tick may deliver a job's record before its compactor does:
    // then the fault waits for the next job, and the test pushes another phase).
    local!.arm(tenant, 'crash-after-send');
    for (let i = 1; i <= 3 && local!.fired(tenant, 'crash-after-send') === undefined; i++) {
      phases.push(makePhase(i, 2));
      await pushPhase(ingestUrl, tenant, phases[i]!);
      await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, `phase ${i + 1}`);
    }
    const crashed = local!.fired(tenant, 'crash-after-send');
    assert.ok(crashed !== undefined, 'the compactor crashed after a send');
    assert.equal(local!.outcomes.filter((outcome) => outcome.tenant === tenant && outcome.fault !== undefined).length, 1, 'one crash');

    // SQS redelivers the crashed job's message: the job was committed before the send, so it is done.
    const redelivered = await waitFor(
      // An outcome is recorded when its invocation starts: wait for its result too.
      () => local!.outcomes.find((outcome) => outcome.jobId === crashed.jobId && outcome.receiveCount > crashed.receiveCount && outcome.results.length > 0),
      20_000,
      'the crashed job redelivered',
    );
    assert.deepEqual(redelivered.results, [{ outcome: 'already-committed' }]);

    // The crashed send left `attempted` at its record and the lease held; once the lease ends the tick
    // resends that record — byte for byte what Prometheus already has, which it accepts (204).
    const status = await waitFor(async () => {
      const shard = await exportStatus(local!.store, tenant, crashed.shard);
      return shard.undelivered === 0 ? shard : undefined;
    }, 20_000, 'the crashed shard delivered by the tick');
    assert.equal(status.failures, 0);
    const resent = proxy.of(tenant).filter((exchange, index, all) => all.findIndex((other) => other.bodyHash === exchange.bodyHash) !== index);
    assert.ok(resent.length >= 1, 'a write was sent again after the crash');
    for (const exchange of resent) assert.deepEqual([exchange.upstream, exchange.answered], [204, 204], 'an identical resend is accepted');

    await checkIncrease(tenant, phases, baselineMs);
    await settleAndRecheck(tenant, groundTruth(phases));
    await assertAllDelivered(local!.store, tenant);
    assertNothingRefused(tenant);
  });

  it('proof 2b: a proxy forwards writes and then answers 500, so the compactor retries writes that landed: no 400, exact values', async () => {
    const tenant = 'e2e-flaky';
    const ingestUrl = dev!.devFile.ingestUrl;
    const phases: Phase[] = [makePhase(0, 3)];
    await pushPhase(ingestUrl, tenant, phases[0]!);
    const baselineMs = await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, 'phase 1');

    const fault = { kind: '500-after-forward' as const, remaining: 4 };
    proxy.setFault(tenant, fault);
    for (let i = 1; i <= 2; i++) {
      phases.push(makePhase(i, 3));
      await pushPhase(ingestUrl, tenant, phases[i]!);
      await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, `phase ${i + 1}`);
    }
    proxy.setFault(tenant, undefined);

    const exchanges = proxy.of(tenant);
    const faulted = exchanges.filter((exchange) => exchange.fault === '500-after-forward');
    assert.ok(faulted.length >= 3, `writes answered 500 after landing: ${faulted.length}`);
    for (const exchange of faulted) {
      assert.equal(exchange.upstream, 204, 'the write reached Prometheus');
      const retried = exchanges.find((other) => other.at >= exchange.at && other !== exchange && other.bodyHash === exchange.bodyHash && other.answered === 204);
      assert.ok(retried !== undefined, 'the sender retried the same bytes until it got 204');
      assert.equal(retried.upstream, 204, 'Prometheus accepted the duplicate');
    }

    await checkIncrease(tenant, phases, baselineMs);
    await settleAndRecheck(tenant, groundTruth(phases));
    await assertAllDelivered(dev!.store, tenant);
    assertNothingRefused(tenant);
  });

  it('proof 2c: the same job delivered twice — at once, and again after its commit: no 400, exact values', async () => {
    // In this process: two invocations run the same job at once, then the message comes again.
    const tenant = 'e2e-twice';
    const phases: Phase[] = [makePhase(0, 4)];
    local!.arm(tenant, 'run-twice');
    await pushPhase(local!.ingestUrl, tenant, phases[0]!);
    const baselineMs = await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, 'phase 1');
    const twice = local!.fired(tenant, 'run-twice');
    assert.ok(twice !== undefined, 'a job ran twice at once');
    assert.equal(twice.results.length, 2);
    const [first, second] = twice.results as Array<Exclude<InvocationOutcome['results'][number], { outcome: 'crashed' }>>;
    // Both ran the whole job (neither found it committed): same block, same export record.
    for (const result of [first!, second!]) assert.ok(result.outcome === 'committed' || result.outcome === 'committed-by-another', JSON.stringify(result));
    const committed = [first!, second!].filter((result) => result.outcome === 'committed' || result.outcome === 'committed-by-another') as Array<{ blockKey: string; exportRecord?: string }>;
    assert.ok(committed.length >= 1);
    assert.equal(new Set(committed.map((result) => result.blockKey)).size, 1, 'both runs wrote the same block');
    assert.ok(committed.every((result) => result.exportRecord === committed[0]!.exportRecord), 'both runs found the same export record');

    // On a loaded machine a job can outlive the 3 s visibility timeout and be redelivered on its own:
    // look only at invocations that started after this send.
    const sentAt = local!.outcomes.length;
    await local!.sendJobAgain(tenant, twice.shard, 1, twice.jobId); // it wrote an export record: level 1
    // An invocation is recorded when it starts and its result when it ends: wait for the result.
    const again = await waitFor(
      () => local!.outcomes.slice(sentAt).find((outcome) => outcome.jobId === twice.jobId && outcome.results.length > 0),
      20_000,
      'the job message delivered again',
    );
    assert.deepEqual(again.results, [{ outcome: 'already-committed' }]);

    // Through strata dev: every committed L0→L1 job of a tenant is sent to the jobs queue again.
    const devTenant = 'e2e-twice-dev';
    const devPhases: Phase[] = [makePhase(0, 5)];
    await pushPhase(dev!.devFile.ingestUrl, devTenant, devPhases[0]!);
    const devBaselineMs = await api.waitForTotals(devTenant, groundTruth(devPhases), phaseTimeoutMs, 'strata dev, phase 1');
    const jobIds = await committedL1Jobs(dev!.store, devTenant);
    assert.ok(jobIds.length >= 1);
    await resendDevJobs(devTenant, jobIds);

    // Then more data for both: the counters go on from where they were.
    phases.push(makePhase(1, 4));
    devPhases.push(makePhase(1, 5));
    await Promise.all([pushPhase(local!.ingestUrl, tenant, phases[1]!), pushPhase(dev!.devFile.ingestUrl, devTenant, devPhases[1]!)]);
    await Promise.all([
      api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, 'phase 2'),
      api.waitForTotals(devTenant, groundTruth(devPhases), phaseTimeoutMs, 'strata dev, phase 2'),
    ]);
    await checkIncrease(tenant, phases, baselineMs);
    await checkIncrease(devTenant, devPhases, devBaselineMs);
    await Promise.all([settleAndRecheck(tenant, groundTruth(phases)), settleAndRecheck(devTenant, groundTruth(devPhases))]);
    await assertAllDelivered(local!.store, tenant);
    await assertAllDelivered(dev!.store, devTenant);
    assertNothingRefused(tenant);
    assertNothingRefused(devTenant);
  });

  it('proof 3: the receiver is down (503, then connection resets) while jobs run; once it is back, the tick delivers every count', async (t) => {
    const tenant = 'e2e-down';
    const ingestUrl = dev!.devFile.ingestUrl;
    const phases: Phase[] = [makePhase(0, 6)];
    await pushPhase(ingestUrl, tenant, phases[0]!);
    const baselineMs = await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, 'phase 1');
    const totalsBefore = await api.totals(tenant);

    // Down: first answering 503, then dropping connections. Jobs still run and write their records.
    for (const [i, kind] of [[1, 'down-503'], [2, 'down-reset']] as const) {
      proxy.setFault(tenant, { kind });
      phases.push(makePhase(i, 6));
      await pushPhase(ingestUrl, tenant, phases[i]!);
      await waitForRecords(dev!.store, tenant, groundTruth(phases), `phase ${i + 1}, receiver down (${kind})`);
      assert.ok(sameTotals(await api.totals(tenant), totalsBefore), 'nothing got through while the receiver was down');
    }
    const statuses = await shardStatuses(dev!.store, Date.now(), tenant);
    assert.ok(statuses.some((shard) => shard.exports.undelivered > 0 && shard.exports.failures > 0), 'records wait undelivered, with failures counted');
    const latestBefore = statuses.map((shard) => shard.exports.latest);

    // Back up. No more pushes: no job runs, so what arrives is the tick's doing.
    proxy.setFault(tenant, undefined);
    const upAt = Date.now();
    await api.waitForTotals(tenant, groundTruth(phases), 20_000, 'after the receiver came back');
    const deliveredAfterMs = Date.now() - upAt;
    t.diagnostic(`every count was in Prometheus ${deliveredAfterMs} ms after the receiver came back`);
    const afterUp = await shardStatuses(dev!.store, Date.now(), tenant);
    assert.deepEqual(afterUp.map((shard) => shard.exports.latest), latestBefore, 'no record was written after the receiver came back');
    assert.ok(deliveredAfterMs < 20_000);

    const exchanges = proxy.of(tenant);
    assert.ok(exchanges.some((exchange) => exchange.answered === 503), 'the sender met 503s');
    assert.ok(exchanges.some((exchange) => exchange.answered === 'reset'), 'the sender met dropped connections');
    await checkIncrease(tenant, phases, baselineMs);
    await settleAndRecheck(tenant, groundTruth(phases));
    await assertAllDelivered(dev!.store, tenant);
    assertNothingRefused(tenant);
  });

  /** Pushes `count` phases, waiting for Prometheus to show each; the baseline is when phase 1 was seen. */
  async function runPhases(ingestUrl: string, tenant: string, count: number, seed: number): Promise<{ phases: Phase[]; baselineMs: number }> {
    const phases: Phase[] = [];
    let baselineMs = 0;
    for (let i = 0; i < count; i++) {
      phases.push(makePhase(i, seed));
      await pushPhase(ingestUrl, tenant, phases[i]!);
      const seenAt = await api.waitForTotals(tenant, groundTruth(phases), phaseTimeoutMs, `phase ${i + 1}`);
      if (i === 0) baselineMs = seenAt;
    }
    return { phases, baselineMs };
  }

  /** increase() since the end of phase 1, summed over shards, equals what phases 2… pushed. */
  async function checkIncrease(tenant: string, phases: Phase[], baselineMs: number): Promise<void> {
    const increase = await api.increaseSince(tenant, baselineMs);
    const expected = difference(groundTruth(phases), groundTruth(phases.slice(0, 1)));
    assert.deepEqual(sorted(increase), sorted(expected), 'increase() since phase 1 equals the counts pushed after it');
  }

  /** A few ticks later the totals are still exact: nothing was counted twice late. */
  async function settleAndRecheck(tenant: string, truth: Totals): Promise<void> {
    await sleep(2_500);
    assert.deepEqual(sorted(await api.totals(tenant)), sorted(truth), 'the totals stay exact');
  }

  function assertNothingRefused(tenant: string): void {
    const exchanges = proxy.of(tenant);
    assert.ok(exchanges.length > 0);
    const upstream = exchanges.filter((exchange) => exchange.upstream !== undefined).map((exchange) => exchange.upstream);
    assert.ok(!upstream.includes(400), `Prometheus answered 400: ${JSON.stringify(exchanges.filter((e) => e.upstream === 400))}`);
    assert.deepEqual([...new Set(upstream)], [204], 'every write that reached Prometheus was accepted');
    assert.deepEqual(proxy.violations.filter((violation) => violation.tenant === tenant), []);
  }

  /**
   * Every pushed segment is compacted (none is live, no shard has pending segments or open jobs)
   * and the records of the tenant's shards hold the ground truth: compaction ran, whether or not
   * the receiver took its results.
   */
  async function waitForRecords(store: ObjectStore, tenant: string, truth: Totals, what: string): Promise<void> {
    await waitFor(
      async () => {
        if ((await listLiveSet(store, tenant)).live.some((object) => object.key.kind === 'segment')) return undefined;
        const rows = await shardStatuses(store, Date.now(), tenant);
        if (rows.some((row) => row.pendingSegments > 0 || row.openJobs > 0)) return undefined;
        return sameTotals(await recordTotals(store, tenant), truth) || undefined;
      },
      phaseTimeoutMs,
      what,
    );
  }

  async function resendDevJobs(tenant: string, jobIds: Array<{ shard: number; jobId: string }>): Promise<void> {
    const sqs = createSqsClient(dev!.devFile.env);
    try {
      for (const { shard, jobId } of jobIds) {
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: dev!.devFile.queues.jobs.url,
            MessageBody: jobMessageBody(tenant, shard, jobId),
            MessageGroupId: jobGroupId(tenant, shard, 1), // committedL1Jobs
            MessageDeduplicationId: `${jobId}.again`,
          }),
        );
      }
      // The compactor of strata dev takes each again and finds it committed (it logs so at info level).
      await waitFor(
        () => jobIds.every(({ jobId }) => dev!.output().split('\n').some((line) => line.includes('"job already committed"') && line.includes(jobId))) || undefined,
        20_000,
        'strata dev compacted the resent jobs as already committed',
      );
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dev!.devFile.queues.jobsDeadLetter.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      assert.equal(Attributes?.['ApproximateNumberOfMessages'], '0', 'nothing in the jobs DLQ');
    } finally {
      sqs.destroy();
    }
  }
});

/** One line per tenant: what the proxy saw, and the compactor faults that fired. */
function summary(proxy: RemoteWriteProxy, outcomes: InvocationOutcome[]): string {
  const lines = ['remote-write exchanges per tenant (answered to the sender; receiver status):'];
  for (const tenant of [...new Set(proxy.exchanges.map((exchange) => exchange.tenant))].sort()) {
    const exchanges = proxy.of(tenant);
    const count = (values: Array<string | number | undefined>) =>
      Object.entries(values.reduce<Record<string, number>>((acc, value) => ({ ...acc, [String(value ?? '-')]: (acc[String(value ?? '-')] ?? 0) + 1 }), {}))
        .map(([value, n]) => `${value}×${n}`)
        .join(' ');
    const resent = exchanges.filter((exchange, index) => exchanges.findIndex((other) => other.bodyHash === exchange.bodyHash) !== index).length;
    lines.push(`  ${tenant}: ${exchanges.length} writes, answered ${count(exchanges.map((e) => e.answered))}; receiver ${count(exchanges.map((e) => e.upstream))}; identical resends ${resent}`);
  }
  for (const outcome of outcomes.filter((one) => one.fault !== undefined || one.receiveCount > 1 || one.results.some((r) => r.outcome === 'already-committed'))) {
    lines.push(`  compactor ${outcome.tenant}/${outcome.shard} ${outcome.jobId} receive ${outcome.receiveCount}${outcome.fault === undefined ? '' : ` [${outcome.fault}]`}: ${outcome.results.map((r) => r.outcome).join(', ')}`);
  }
  return lines.join('\n');
}

/** Per rule and group, the latest export record of each shard, summed over shards. */
async function recordTotals(store: ObjectStore, tenant: string): Promise<Totals> {
  const totals: Totals = new Map();
  for (let shard = 0; shard < shardCount; shard++) {
    const latest = await findLatestSequence(store, tenant, shard);
    if (latest === 0) continue;
    const record = await readExportRecord(store, tenant, shard, latest);
    for (const series of record!.series) {
      const labels = Object.fromEntries(series.labels.map((label) => [label.name, label.value]));
      const rule = labels['strata_rule']!;
      const key = totalsKey(rule, labels[groupLabelOf[rule]!] ?? '');
      totals.set(key, (totals.get(key) ?? 0) + series.value);
    }
  }
  return totals;
}

/** Every shard of the tenant has delivered its latest record. */
async function assertAllDelivered(store: ObjectStore, tenant: string): Promise<void> {
  const statuses = await waitFor(async () => {
    const rows = await shardStatuses(store, Date.now(), tenant);
    return rows.length > 0 && rows.every((row) => row.exports.undelivered === 0 && row.pendingSegments === 0 && row.openJobs === 0) ? rows : undefined;
  }, 10_000, `${tenant}: every record delivered`);
  assert.ok(statuses.every((row) => row.exports.latest === row.exports.delivered));
}

async function committedL1Jobs(store: ObjectStore, tenant: string): Promise<Array<{ shard: number; jobId: string }>> {
  const jobs: Array<{ shard: number; jobId: string }> = [];
  for await (const object of store.list(`blocks/${tenant}/`)) {
    const match = /^blocks\/[^/]+\/(\d+)\/L1\/([^/]+)\.blk$/.exec(object.key);
    if (match !== null) jobs.push({ shard: Number(match[1]), jobId: match[2]! });
  }
  return jobs;
}

async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for: ${what}`);
    await sleep(200);
  }
}
