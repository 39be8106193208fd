/**
 * The compactor on the embedded stack, with real conditional writes and notifications:
 * segments → planner → job → compactor → block, with a crash injected after each step and the job
 * then retried, and with the same job delivered twice at once. In every case each sample ends up
 * in exactly one live object, the block bytes are the same on every attempt, and a retry resends
 * the same export record.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { minPartBytes, type ConditionalPutResult, type ObjectStore } from '../../lib/aws/contract.js';
import { buildBlock } from '../../lib/compact/block.js';
import { compactJob, type CompactorDeps } from '../../lib/compact/job.js';
import { StoreBlockOutput } from '../../lib/compact/output.js';
import { listLiveSet } from '../../lib/compact/live.js';
import { silentLogger } from '../../lib/log/logger.js';
import { readJobSpec } from '../../lib/plan/commit.js';
import { runTick } from '../../lib/tick/tick.js';
import { exportStatus } from '../../lib/export/delivery.js';
import { RemoteWriteClient } from '../../lib/remotewrite/client.js';
import { RemoteWriteUnavailableError } from '../../lib/remotewrite/errors.js';
import { planLimits } from '../../lib/plan/limits.js';
import { RulesSource, rulesSnapshotProvider } from '../../lib/rules/source.js';
import { buildSegments } from '../../lib/segment/build.js';
import { decodeFile, type Series } from '../../lib/segment/format.js';
import { quarantineKeys } from '../../lib/segment/keys.js';
import { createPlannerHandler } from '../../functions/planner.js';
import { drainJobs, sqsEvent, startPlannerStack, takeEvents, type PlannerStack } from '../helpers/planner-stack.js';
import { buildBlockInMemory, series, sourcesOf } from '../helpers/segments.js';
import { interceptStore } from '../helpers/store-intercept.js';

class Crash extends Error {
  override name = 'Crash';
}

type CrashPoint = 'after-block-write' | 'after-export-record' | 'after-commit' | 'after-source-delete';

/** The store, dying once right after the chosen write succeeded. */
function crashingStore(store: ObjectStore, point: CrashPoint): { store: ObjectStore; crashed: () => boolean } {
  let crashed = false;
  const crashIf = (hit: boolean) => {
    if (hit && !crashed) {
      crashed = true;
      throw new Crash(`crash ${point}`);
    }
  };
  const dying = interceptStore(store, async (call, run) => {
    const result = await run();
    const written = (result as ConditionalPutResult | undefined)?.outcome === 'written';
    if (point === 'after-block-write') crashIf((call.op === 'put' || call.op === 'completeMultipartUpload') && call.key.startsWith('blocks/'));
    if (point === 'after-export-record') crashIf(call.op === 'putIfAbsent' && /^exports\/[^/]+\/\d+\/\d+\.json$/.test(call.key) && written);
    if (point === 'after-commit') crashIf(call.op === 'putIfMatch' && call.key.startsWith('state/') && written);
    if (point === 'after-source-delete') crashIf(call.op === 'deleteMany' && call.keys.some((key) => key.startsWith('segments/')));
    return result;
  });
  return { crashed: () => crashed, store: dying };
}

const rulesYaml = `
version: 1
default:
  - id: requests
    record: strata:http_requests:sum
    match: 'http_requests'
    group_by: [code]
    aggregation: sum
`;

/** Four pushes of one tenant, one shard: the second repeats two rows of the first (a client retry). */
function pushes(): Series[][] {
  return [
    [series('http_requests', { code: '200' }, [[1000, 1], [2000, 2]]), series('http_requests', { code: '500' }, [[1000, 5]])],
    [series('http_requests', { code: '200' }, [[1000, 1], [2000, 2], [3000, 4]])],
    [series('http_requests', { code: '500' }, [[4000, 6]]), series('up', { job: 'x' }, [[4000, 1]])],
    [series('http_requests', { code: '200' }, [[5000, 8]])],
  ];
}

/** Distinct (series, timestamp, value) rows of the pushes: what the live set must hold once each. */
function expectedRows(): string[] {
  const rows = new Set<string>();
  for (const push of pushes()) for (const one of push) for (const s of one.samples) rows.add(rowKey(one, s.timestamp, s.value));
  return [...rows].sort();
}

function rowKey(one: Series, timestamp: number, value: number): string {
  return `${one.labels.map((l) => `${l.name}=${l.value}`).join(',')}@${timestamp}=${value}`;
}

async function liveRows(store: ObjectStore, tenant: string): Promise<string[]> {
  const { live } = await listLiveSet(store, tenant);
  const rows: string[] = [];
  for (const object of live) {
    const stored = await store.get(object.info.key);
    for (const one of decodeFile(stored!.body, { expectKey: object.key }).series) {
      for (const s of one.samples) rows.push(rowKey(one, s.timestamp, s.value));
    }
  }
  return rows.sort();
}

describe('compactor on the embedded stack', () => {
  let stack: PlannerStack;
  let tenantCounter = 0;

  let rulesPath: string;

  before(async () => {
    stack = await startPlannerStack();
    rulesPath = join(mkdtempSync(join(tmpdir(), 'strata-rules-')), 'rules.yaml');
    writeFileSync(rulesPath, rulesYaml);
  });
  after(() => stack.stop());

  /** Writes the pushes as segments of a fresh tenant, plans them into one job, returns it. */
  async function plannedJob(): Promise<{ tenant: string; jobId: string; deps: CompactorDeps }> {
    const tenant = `tenant-${++tenantCounter}`;
    for (const [i, push] of pushes().entries()) {
      for (const segment of buildSegments(push, { tenant, shardCount: 1, createdBy: 'test', createdAtMs: 1_000 + i })) {
        await stack.store.putIfAbsent(segment.key, segment.bytes);
      }
    }
    const env = { ...stack.env, STRATA_L0_MAX_SEGMENTS: '4', STRATA_RULES: rulesPath };
    const planner = createPlannerHandler({ env, logger: silentLogger });
    const failures = await planner(sqsEvent(await takeEvents(stack)));
    assert.deepEqual(failures.batchItemFailures, []);
    const jobs = await drainJobs(stack);
    assert.equal(jobs.length, 1, 'four segments make one L0 job');
    const rules = rulesSnapshotProvider({ rules: new RulesSource({ location: rulesPath, read: async () => rulesYaml }), store: stack.store });
    const deps: CompactorDeps = {
      store: stack.store,
      jobs: stack.jobs,
      logger: silentLogger,
      rules,
      limits: planLimits({ levels: [{ maxItems: 4 }] }),
      cleanupDelayMs: 0,
    };
    return { tenant, jobId: jobs[0]!.jobId, deps };
  }

  it('compacts a job: one block holds every row once, duplicates from the retry dropped', async () => {
    const { tenant, jobId, deps } = await plannedJob();
    const result = await compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 1 });
    assert.equal(result.outcome, 'committed');
    assert.ok(result.outcome === 'committed' && result.samplesIn > result.samplesOut, 'the repeated rows were dropped');
    assert.deepEqual(await liveRows(stack.store, tenant), expectedRows());
    const again = await compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 2 });
    assert.deepEqual(again, { outcome: 'already-committed' });
  });

  for (const point of ['after-block-write', 'after-export-record', 'after-commit', 'after-source-delete'] as const) {
    it(`a crash ${point}, then a retry: every row in exactly one live object, identical outputs`, async () => {
      const { tenant, jobId, deps } = await plannedJob();
      const { store: crashing, crashed } = crashingStore(stack.store, point);
      if (point === 'after-source-delete') {
        // Sources are deleted a cleanup delay after their job's commit, by the tick (or a later commit).
        await compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 1 });
        const report = await runTick({ ...deps, store: crashing, cleanupDelayMs: 0, adoptAfterMs: 0 });
        assert.ok(report.failures > 0);
      } else {
        await assert.rejects(compactJob({ ...deps, store: crashing }, { tenant, shard: 0, jobId, receiveCount: 1 }), Crash);
      }
      assert.ok(crashed());
      const firstBlock = (await stack.store.list(`blocks/${tenant}/`)[Symbol.asyncIterator]().next()).value;
      const firstBytes = firstBlock === undefined ? undefined : (await stack.store.get(firstBlock.key))!.body;
      const firstRecord = await stack.store.get(`exports/${tenant}/0/0000000000000001.json`);

      const retry = await compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 2 });
      assert.ok(['committed', 'already-committed'].includes(retry.outcome), retry.outcome);
      assert.equal((await runTick({ ...deps, cleanupDelayMs: 0, adoptAfterMs: 0 })).failures, 0);
      assert.deepEqual(await liveRows(stack.store, tenant), expectedRows());
      if (firstBytes !== undefined) {
        const after = (await stack.store.get(firstBlock!.key))!.body;
        assert.deepEqual(Buffer.from(after), Buffer.from(firstBytes), 'the retry wrote the same block bytes');
      }
      if (firstRecord !== undefined) {
        const afterRecord = await stack.store.get(`exports/${tenant}/0/0000000000000001.json`);
        assert.deepEqual(Buffer.from(afterRecord!.body), Buffer.from(firstRecord.body), 'the retry reused the export record');
        assert.equal(await stack.store.get(`exports/${tenant}/0/0000000000000002.json`), undefined, 'and wrote no second one');
      }
    });
  }

  it('the same job delivered twice at once commits once', async () => {
    const { tenant, jobId, deps } = await plannedJob();
    const results = await Promise.all([
      compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 1 }),
      compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 1 }),
    ]);
    const outcomes = results.map((r) => r.outcome).sort();
    assert.equal(outcomes.filter((o) => o === 'committed').length, 1, `outcomes: ${outcomes}`);
    assert.deepEqual(await liveRows(stack.store, tenant), expectedRows());
    const blocks: string[] = [];
    for await (const object of stack.store.list(`blocks/${tenant}/`)) blocks.push(object.key);
    assert.equal(blocks.length, 1);
    const records: string[] = [];
    for await (const object of stack.store.list(`exports/${tenant}/0/`)) if (/\d{16}\.json$/.test(object.key)) records.push(object.key);
    assert.equal(records.length, 1, 'one export record');
  });

  it('sets a corrupt source aside in quarantine with a report; the job goes on without it', async () => {
    const { tenant, jobId, deps } = await plannedJob();
    const { sourceKeys } = (await readJobSpec(stack.store, tenant, 0, jobId))!;
    const victim = sourceKeys[1]!;
    const corrupt = Uint8Array.from((await stack.store.get(victim))!.body);
    corrupt[corrupt.length - 2]! ^= 0xff;
    await stack.store.put(victim, corrupt);

    const result = await compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 1 });
    assert.ok(result.outcome === 'committed');
    assert.deepEqual(result.quarantined, [victim]);
    const report = await stack.store.get(quarantineKeys(victim).reportKey);
    assert.match(new TextDecoder().decode(report!.body), /ChecksumMismatchError/);
    const rowsOf = (bytes: Uint8Array) => decodeFile(bytes).series.flatMap((one) => one.samples.map((s) => rowKey(one, s.timestamp, s.value)));
    const othersRows = new Set<string>();
    for (const key of sourceKeys.filter((key) => key !== victim)) for (const row of rowsOf((await stack.store.get(key))!.body)) othersRows.add(row);
    assert.deepEqual(await liveRows(stack.store, tenant), [...othersRows].sort(), 'the block holds exactly the other sources\' rows');
  });

  it('an export record the compactor could not send is delivered by the next tick', async () => {
    const { tenant, jobId, deps } = await plannedJob();
    const sent: string[][] = [];
    let receiverUp = false;
    const client = {
      async send(series: ReadonlyArray<{ labels: ReadonlyArray<{ name: string; value: string }> }>) {
        if (!receiverUp) throw new RemoteWriteUnavailableError('http://receiver.test', 3, 503, 'receiver down');
        sent.push(series.map((one) => one.labels.map((l) => `${l.name}=${l.value}`).join(',')));
        return { status: 204, attempts: 1, bytes: 1 };
      },
    };
    const delivery = { client, tenantRouting: { mode: 'header' as const, header: 'X-Scope-OrgID' }, selfMetrics: false };
    const result = await compactJob({ ...deps, delivery }, { tenant, shard: 0, jobId, receiveCount: 1 });
    assert.equal(result.outcome, 'committed', 'a failed send does not undo or fail the job');
    assert.equal((await exportStatus(stack.store, tenant, 0)).undelivered, 1);

    receiverUp = true;
    const report = await runTick({ ...deps, delivery });
    assert.ok(report.exportsDelivered >= 1, 'this shard (and earlier tests\' shards, which had no receiver) delivered');
    assert.equal((await exportStatus(stack.store, tenant, 0)).undelivered, 0);
    assert.ok(sent.flat().some((labels) => labels.includes('strata_rule=requests')), JSON.stringify(sent));
  });

  it('a receiver outage costs the tick one failed send, not one per shard', async () => {
    const planned = [await plannedJob(), await plannedJob(), await plannedJob()];
    for (const { tenant, jobId, deps } of planned) await compactJob(deps, { tenant, shard: 0, jobId, receiveCount: 1 });
    const tenantsTried = new Set<string>();
    const client = new RemoteWriteClient({
      url: 'http://receiver.test/api/v1/write',
      retry: { minBackoffMs: 1, maxBackoffMs: 2, maxRetryTimeMs: 20, cooldownMs: 60_000 },
      fetch: async (_url, init) => {
        tenantsTried.add((init.headers as Record<string, string>)['X-Scope-OrgID']!);
        return new Response('down', { status: 503 });
      },
    });
    const delivery = { client, tenantRouting: { mode: 'header' as const, header: 'X-Scope-OrgID' }, selfMetrics: false };
    const report = await runTick({ ...planned[0]!.deps, delivery, shardConcurrency: 1 });
    assert.equal(tenantsTried.size, 1, 'only the first shard reached the receiver');
    assert.equal(report.failures, 0, 'an undelivered export is not a tick failure');
    for (const { tenant } of planned) assert.equal((await exportStatus(stack.store, tenant, 0)).undelivered, 1);
  });

  it('writes a block larger than one part as a multipart upload: the same bytes as in memory; a discarded upload leaves nothing', async () => {
    // ~13 MiB of poorly compressible series: the first part (header + 5 MiB) goes last, then two more.
    const sources = [0, 1].map((s) => {
      const list = Array.from({ length: 400 }, (_, i) =>
        series('big', { i: String(i).padStart(4, '0') }, Array.from({ length: 1200 }, (_, k) => [1_000 + (s * 1200 + k) * 1000, Math.sin(i * 7919 + k + s) * 1e6] as [number, number])),
      );
      const [segment] = buildSegments(list, { tenant: 'multipart', shardCount: 1, createdBy: 'test', createdAtMs: 0 });
      return { key: segment!.key, bytes: segment!.bytes };
    });
    const identity = { tenant: 'multipart', shard: 0, level: 1, id: 'L1-00000001', createdBy: 'test', createdAtMs: 0 };
    const key = 'blocks/multipart/0/L1/L1-00000001.blk';
    const inMemory = await buildBlockInMemory(identity, sources);
    assert.ok(inMemory.bytes.length > minPartBytes + 6 * 2 ** 20, `the block (${inMemory.bytes.length} bytes) spans several parts`);
    const uploads: number[] = [];
    const aborted: string[] = [];
    const counting: ObjectStore = Object.assign(Object.create(stack.store) as ObjectStore, {
      startMultipartUpload: async (k: string) => {
        const upload = await stack.store.startMultipartUpload(k);
        return {
          ...upload,
          uploadPart: (n: number, body: Uint8Array) => (uploads.push(n), upload.uploadPart(n, body)),
          abort: () => (aborted.push(k), upload.abort()),
        };
      },
    });
    const built = await buildBlock(identity, sourcesOf(sources), new StoreBlockOutput(counting, key));
    assert.equal(built.size, inMemory.bytes.length);
    assert.deepEqual(Buffer.from((await stack.store.get(key))!.body), Buffer.from(inMemory.bytes));
    assert.equal(uploads.at(-1), 1, 'the part with the header is uploaded last');
    assert.deepEqual(aborted, [], 'a completed upload is not aborted');

    // A merge that restarts discards what it wrote: the upload it had started is aborted.
    const discarded = new StoreBlockOutput(counting, `${key}.discarded`);
    uploads.length = 0;
    await discarded.write(Array.from({ length: 14 }, () => new Uint8Array(2 ** 20)));
    assert.ok(uploads.length > 0, 'parts were uploaded before the discard');
    await discarded.discard();
    assert.deepEqual(aborted, [`${key}.discarded`]);
    assert.equal(await stack.store.head(`${key}.discarded`), undefined);
  });
});
