import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { findJobRecord, pruneExports, readChainView, readExportRecord, writeExportRecord } from '../../lib/export/chain.js';
import { deliverExports, exportStatus, type DeliveryDeps } from '../../lib/export/delivery.js';
import { deliveryStateKey, exportClaimKey } from '../../lib/export/keys.js';
import { serializeRecord, type ExportRecord } from '../../lib/export/record.js';
import { readDeliveryState, updateDeliveryState } from '../../lib/export/state.js';
import { RemoteWriteClient } from '../../lib/remotewrite/client.js';
import { exportKey } from '../../lib/segment/keys.js';
import { snapshotOf } from '../helpers/rules-fixtures.js';
import { CrashingStore, jobOf, shard, sumByK, tenant } from '../helpers/export-fixtures.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { capturedSamples, fakeClock, startCaptureServer, type CaptureServer } from '../helpers/remotewrite-capture.js';
import { interceptStore } from '../helpers/store-intercept.js';

const totals = (record: ExportRecord) => Object.fromEntries(record.series.map((s) => [s.labels.find((l) => l.name === 'k')?.value, s.value]));

describe('export records: the counter chain', () => {
  it('record n = record n−1 + the job’s increments, at max(job ts, previous ts + 1)', async () => {
    const store = new MemoryObjectStore();
    const one = jobOf('job-1', 1_000, { a: 1.5 });
    const late = jobOf('job-0', 900, { a: 2, b: 1 }); // cut earlier, redriven late: still lands in order
    const next = jobOf('job-2', 5_000, { b: 0.25 });

    const r1 = await writeExportRecord({ store }, one.job, one.input);
    const r2 = await writeExportRecord({ store }, late.job, late.input);
    const r3 = await writeExportRecord({ store }, next.job, next.input);

    assert.deepEqual([r1.record.sequence, r2.record.sequence, r3.record.sequence], [1, 2, 3]);
    assert.deepEqual([r1.record.ts, r2.record.ts, r3.record.ts], [1_000, 1_001, 5_000]);
    assert.deepEqual(totals(r1.record), { a: 1.5 });
    assert.deepEqual(totals(r2.record), { a: 3.5, b: 1 });
    assert.deepEqual(totals(r3.record), { a: 3.5, b: 1.25 });
    assert.equal(r3.record.jobId, 'job-2');
    assert.deepEqual(r3.record.series[0]!.labels.map((l) => l.name), ['__name__', 'k', 'strata_rule', 'strata_shard']);
    assert.deepEqual(
      { jobs: r3.record.pipeline.jobs, segments: r3.record.pipeline.segments, lagMs: r3.record.pipeline.lagMs },
      { jobs: 3, segments: 9, lagMs: 1200 },
    );
    assert.deepEqual(await readExportRecord(store, tenant, shard, 2), r2.record);
  });

  it('a retried job finds its record by job id, even after later records, and gets the same bytes', async () => {
    const store = new MemoryObjectStore();
    const first = jobOf('job-1', 1_000, { a: 1 });
    const written = await writeExportRecord({ store }, first.job, first.input);
    const bytes = store.objects.get(written.key)!.body;
    for (let i = 2; i <= 5; i++) {
      const later = jobOf(`job-${i}`, 1_000 * i, { a: i });
      await writeExportRecord({ store }, later.job, later.input);
    }

    const retried = await writeExportRecord({ store }, first.job, jobOf('job-1', 1_000, { a: 1 }).input);

    assert.equal(retried.outcome, 'existing');
    assert.equal(retried.record.sequence, 1);
    assert.deepEqual(store.objects.get(retried.key)!.body, bytes);
    assert.deepEqual(serializeRecord(retried.record), bytes);
    assert.equal((await readDeliveryState(store, tenant, shard)).state.head, 5);
    assert.equal(await store.head(exportKey(tenant, shard, 6)), undefined);
  });

  it('a chain view read before other appends (the compactor reads it while building the block) still appends once, after them', async () => {
    const store = new MemoryObjectStore();
    const x = jobOf('job-x', 1_000, { a: 1 });
    await writeExportRecord({ store }, jobOf('job-0', 500, { a: 1 }).job, jobOf('job-0', 500, { a: 1 }).input);
    const early = readChainView(store, tenant, shard, 'job-x');
    await early;
    const y = jobOf('job-y', 2_000, { a: 10 });
    await writeExportRecord({ store }, y.job, y.input);

    const written = await writeExportRecord({ store }, x.job, x.input, { view: early });
    const again = await writeExportRecord({ store }, x.job, x.input, { view: readChainView(store, tenant, shard, 'job-x') });

    assert.deepEqual([written.outcome, written.record.sequence], ['written', 3]);
    assert.deepEqual(totals(written.record), { a: 12 });
    assert.deepEqual([again.outcome, again.record.sequence], ['existing', 3]);
  });

  it('a job that crashed between its claim and its record, and lost the slot, appends after the winner', async () => {
    const store = new CrashingStore();
    const x = jobOf('job-x', 1_000, { a: 1 });
    const y = jobOf('job-y', 2_000, { a: 10 });
    store.crashOn = /\/0{15}1\.json$/;
    await assert.rejects(writeExportRecord({ store }, x.job, x.input), /crash/);
    assert.equal(JSON.parse(new TextDecoder().decode(store.objects.get(exportClaimKey(tenant, shard, 'job-x'))!.body)).sequence, 1);

    await writeExportRecord({ store }, y.job, y.input);
    const retried = await writeExportRecord({ store }, x.job, x.input);

    assert.equal(retried.outcome, 'written');
    assert.equal(retried.record.sequence, 2);
    assert.deepEqual(totals(retried.record), { a: 11 });
    assert.equal((await findJobRecord(store, tenant, shard, 'job-x'))?.sequence, 2);
    assert.equal((await findJobRecord(store, tenant, shard, 'job-y'))?.sequence, 1);
  });

  it('an attempt that found no claim, overlapping another attempt of its job and a later job’s append, finds the record instead of appending it again', async () => {
    // Found by the chaos campaign (seed 3054): a job's message became visible again while its first
    // attempt still ran, the queue moved on to the next job, and the job's counts were recorded twice.
    const store = new MemoryObjectStore();
    const j = jobOf('job-j', 1_000, { a: 1 });
    const k = jobOf('job-k', 2_000, { a: 10 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let paused = false;
    // Attempt B of job-j reads its claim (there is none yet) and is held right there.
    const slow = interceptStore(store, async (call, run) => {
      const result = await run();
      if (!paused && call.op === 'get' && call.key === exportClaimKey(tenant, shard, 'job-j')) {
        paused = true;
        await held;
      }
      return result;
    });
    const attemptB = writeExportRecord({ store: slow }, j.job, j.input);
    // Bounded: should the write stop reading its claim, this fails instead of spinning forever.
    for (let turns = 0; !paused; turns++) {
      assert.ok(turns < 1000, 'attempt B never read its claim');
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Meanwhile attempt A of job-j writes its record, and job-k appends after it.
    const attemptA = await writeExportRecord({ store }, j.job, j.input);
    await writeExportRecord({ store }, k.job, k.input);
    release();
    const b = await attemptB;

    assert.equal(b.outcome, 'existing');
    assert.equal(b.record.sequence, attemptA.record.sequence);
    assert.equal(await store.head(exportKey(tenant, shard, 3)), undefined, 'job-j has no second record');
    assert.deepEqual(totals((await readExportRecord(store, tenant, shard, 2))!), { a: 11 });
  });

  it('concurrent appenders each land once: create-if-absent decides the order', async () => {
    const store = new MemoryObjectStore();
    const jobs = ['job-a', 'job-b', 'job-c', 'job-d'].map((id, i) => jobOf(id, 1_000 + i, { a: 2 ** i }));

    await Promise.all(jobs.map(({ job, input }) => writeExportRecord({ store }, job, input)));

    const records = await Promise.all([1, 2, 3, 4].map((n) => readExportRecord(store, tenant, shard, n)));
    assert.deepEqual(new Set(records.map((r) => r!.jobId)), new Set(['job-a', 'job-b', 'job-c', 'job-d']));
    assert.deepEqual(totals(records[3]!), { a: 15 });
    assert.deepEqual(records.map((r) => r!.ts), [...records.map((r) => r!.ts)].sort((p, q) => p - q));
  });

  it('caps a rule’s series per shard: series already counting keep counting, new ones are dropped and counted', async () => {
    const store = new MemoryObjectStore();
    const capped = sumByK(2);
    const one = jobOf('job-1', 1_000, { a: 1, b: 1, c: 1 }, capped);
    const two = jobOf('job-2', 2_000, { b: 1, c: 1, d: 1 }, capped);

    const r1 = await writeExportRecord({ store }, one.job, one.input);
    const r2 = await writeExportRecord({ store }, two.job, two.input);

    assert.deepEqual(totals(r1.record), { a: 1, b: 1 });
    assert.deepEqual(totals(r2.record), { a: 1, b: 2 });
    assert.deepEqual(r2.record.dropped, { up_sum: 3 });
  });

  it('drops the series of a rule that was removed or whose shape changed', async () => {
    const store = new MemoryObjectStore();
    const before = jobOf('job-1', 1_000, { a: 1 });
    await writeExportRecord({ store }, before.job, before.input);
    const regrouped = snapshotOf(`- { id: up_sum, record: "up:sum", match: up }`, tenant);

    const after = await writeExportRecord({ store }, ...(Object.values(jobOf('job-2', 2_000, { a: 5 }, regrouped)) as [never, never]));

    assert.deepEqual(after.record.series.map((s) => [s.labels.map((l) => l.name).join(','), s.value]), [['__name__,strata_rule,strata_shard', 5]]);
  });

  it('refuses an evaluation made with other rules than the job’s', async () => {
    const { job, input } = jobOf('job-1', 1_000, { a: 1 });
    await assert.rejects(writeExportRecord({ store: new MemoryObjectStore() }, { ...job, rulesHash: 'sha256:' + '0'.repeat(64) }, input), /was cut with rules/);
  });
});

describe('export delivery', () => {
  let server: CaptureServer;
  let time: ReturnType<typeof fakeClock>;
  let store: MemoryObjectStore;
  const deps = (overrides: Partial<DeliveryDeps> = {}): DeliveryDeps => ({
    store,
    client: new RemoteWriteClient({ url: server.url, clock: time.clock, sleep: time.sleep, random: () => 0.5, retry: { maxRetryTimeMs: 2_000 } }),
    tenantRouting: { mode: 'header', header: 'X-Scope-OrgID' },
    clock: time.clock,
    cas: { sleep: time.sleep },
    ...overrides,
  });
  const append = async (id: string, ts: number, values: Record<string, number>) => {
    const { job, input } = jobOf(id, ts, values);
    return (await writeExportRecord({ store }, job, input)).record;
  };
  /** Per series, the timestamps the receiver accepted (2xx requests only), in arrival order. */
  const accepted = (statuses: number[]) => {
    const seen = new Map<string, number[]>();
    server.requests.forEach((request, i) => {
      if (statuses[i]! >= 300) return;
      for (const [key, samples] of capturedSamples(request)) seen.set(key, [...(seen.get(key) ?? []), ...samples.map(([t]) => t)]);
    });
    return seen;
  };
  const assertIncreasing = (seen: Map<string, number[]>) => {
    for (const [key, stamps] of seen) assert.deepEqual(stamps, [...new Set(stamps)].sort((a, b) => a - b), `${key} went back in time: ${stamps}`);
  };

  before(async () => {
    server = await startCaptureServer();
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    server.script.length = 0;
    time = fakeClock();
    store = new MemoryObjectStore();
  });

  it('sends the records in order, one request each, with the tenant header, then marks them delivered', async () => {
    await append('job-1', 1_000, { a: 1 });
    await append('job-2', 2_000, { a: 2 });
    await append('job-3', 3_000, { b: 1 });

    const result = await deliverExports(deps(), tenant, shard);
    const again = await deliverExports(deps(), tenant, shard);

    assert.equal(result.outcome, 'delivered');
    assert.deepEqual(result.sent, [1, 2, 3]);
    assert.equal(server.requests.length, 3);
    assert.ok(server.requests.every((r) => r.headers['x-scope-orgid'] === tenant));
    const last = capturedSamples(server.requests[2]!);
    assert.deepEqual(last.get(`__name__=up:sum,k=a,strata_rule=up_sum,strata_shard=${shard}`), [[3_000, 3]]);
    assert.deepEqual(last.get(`__name__=up:sum,k=b,strata_rule=up_sum,strata_shard=${shard}`), [[3_000, 1]]);
    assert.deepEqual(last.get(`__name__=strata_compactor_jobs_total,strata_shard=${shard}`), [[3_000, 3]]);
    assertIncreasing(accepted([204, 204, 204]));
    assert.equal(again.outcome, 'up-to-date');
    assert.equal(server.requests.length, 3);
    const etag = store.objects.get(deliveryStateKey(tenant, shard))!.etag;
    await deliverExports(deps(), tenant, shard);
    assert.equal(store.objects.get(deliveryStateKey(tenant, shard))!.etag, etag, 'an idle delivery writes nothing');
    const state = (await readDeliveryState(store, tenant, shard)).state;
    assert.deepEqual([state.delivered, state.attempted, state.lease], [3, 3, null]);
  });

  it('leaves records undelivered when the endpoint is down, then sends from the last attempted one, in order', async () => {
    await append('job-1', 1_000, { a: 1 });
    await append('job-2', 2_000, { a: 1 });
    for (let i = 0; i < 50; i++) server.script.push({ status: 503 });

    const down = await deliverExports(deps(), tenant, shard);
    const statuses = server.requests.map(() => 503);
    server.script.length = 0;
    await append('job-3', 3_000, { a: 1 });
    const up = await deliverExports(deps(), tenant, shard);
    statuses.push(204, 204);

    assert.equal(down.outcome, 'failed');
    assert.equal(down.delivered, 0);
    assert.deepEqual(await exportStatus(store, tenant, shard).then((s) => [s.latest, s.delivered, s.failures]), [3, 3, 1]);
    assert.equal(up.outcome, 'delivered');
    assert.deepEqual(up.sent, [2, 3]); // 2 may already be at the receiver; 1 is older than it and never resent
    assert.deepEqual(up.skipped, [1]);
    const seen = accepted(statuses);
    assertIncreasing(seen);
    assert.deepEqual(seen.get(`__name__=up:sum,k=a,strata_rule=up_sum,strata_shard=${shard}`), [2_000, 3_000]);
  });

  it('a resend after a crash repeats exactly the same bytes', async () => {
    await append('job-1', 1_000, { a: 0.1 });
    await deliverExports(deps(), tenant, shard);
    // The sender died after the request but before recording delivery.
    await updateDeliveryState(store, tenant, shard, (state) => ({ next: { ...state, delivered: 0 }, result: undefined }));

    const result = await deliverExports(deps(), tenant, shard);

    assert.deepEqual(result.sent, [1]);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(server.requests[1]!.body, server.requests[0]!.body);
  });

  it('skips an intermediate record the receiver refuses (the latest carries its counts), but not the latest', async () => {
    await append('job-1', 1_000, { a: 1 });
    await append('job-2', 2_000, { a: 1 });
    server.script.push({ status: 400, body: 'out of bounds' });

    const result = await deliverExports(deps(), tenant, shard);
    await append('job-3', 3_000, { a: 1 });
    server.script.push({ status: 400, body: 'bad' });
    const refused = await deliverExports(deps(), tenant, shard);

    assert.deepEqual([result.outcome, result.sent, result.skipped, result.delivered], ['delivered', [2], [1], 2]);
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.error!.message, /HTTP 400: bad/);
    const status = await exportStatus(store, tenant, shard);
    assert.deepEqual([status.delivered, status.undelivered, status.lastError?.status], [2, 1, 400]);
  });

  it('one sender per shard: a held lease answers busy; an expired one is taken over', async () => {
    await append('job-1', 1_000, { a: 1 });
    await updateDeliveryState(store, tenant, shard, (state) => ({ next: { ...state, lease: { holder: 'other', until: time.state.now + 30_000 } }, result: undefined }));

    const busy = await deliverExports(deps(), tenant, shard);
    time.state.now += 31_000;
    const taken = await deliverExports(deps(), tenant, shard);

    assert.equal(busy.outcome, 'busy');
    assert.equal(taken.outcome, 'delivered');
    assert.equal(server.requests.length, 1);
    assert.equal((await readDeliveryState(store, tenant, shard)).state.lease, null);
  });

  it('sends at most the backlog limit of old records; the latest carries the counts of the rest', async () => {
    for (let i = 1; i <= 15; i++) await append(`job-${i}`, 1_000 * i, { a: 1 });

    const result = await deliverExports(deps({ maxBacklogRecords: 10 }), tenant, shard);

    assert.deepEqual(result.sent, [6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    assert.deepEqual(result.skipped, [1, 2, 3, 4, 5]);
    assert.deepEqual(capturedSamples(server.requests.at(-1)!).get(`__name__=up:sum,k=a,strata_rule=up_sum,strata_shard=${shard}`), [[15_000, 15]]);
  });

  it('carries the tenant as a label when configured so, and splits large records by series', async () => {
    await append('job-1', 1_000, { a: 1, b: 2, c: 3 });

    await deliverExports(deps({ tenantRouting: { mode: 'label', label: 'strata_tenant' }, selfMetrics: false, maxSeriesPerRequest: 2 }), tenant, shard);

    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]!.headers['x-scope-orgid'], undefined);
    const keys = server.requests.flatMap((r) => [...capturedSamples(r).keys()]);
    assert.deepEqual(keys, ['a', 'b', 'c'].map((k) => `__name__=up:sum,k=${k},strata_rule=up_sum,strata_shard=${shard},strata_tenant=${tenant}`));
  });

  it('after the compactor’s write it takes four storage calls and the request: find, lease and mark, send, look again, deliver and release', async () => {
    await append('job-1', 1_000, { a: 1 });
    await deliverExports(deps(), tenant, shard);
    const { job, input } = jobOf('job-2', 2_000, { a: 1 });
    const written = await writeExportRecord({ store }, job, input, { advanceHead: false });
    const calls: string[] = [];
    const counted = interceptStore(store, (call, run) => {
      calls.push(`${call.op} ${'key' in call ? call.key.split('/').at(-1) : ''}`);
      return run();
    });

    const result = await deliverExports({ ...deps(), store: counted }, tenant, shard, { record: written.record, state: written.deliveryState! });

    assert.deepEqual([result.outcome, result.sent], ['delivered', [2]]);
    assert.deepEqual(calls, ['head 0000000000000003.json', 'putIfMatch delivery.json', 'head 0000000000000003.json', 'putIfMatch delivery.json']);
    assert.equal(server.requests.length, 2);
    const state = (await readDeliveryState(store, tenant, shard)).state;
    assert.deepEqual([state.head, state.attempted, state.delivered, state.lease], [2, 2, 2, null]);
  });

  it('a stale state from the caller costs a conflict, not a wrong decision', async () => {
    await append('job-1', 1_000, { a: 1 });
    const stale = await readDeliveryState(store, tenant, shard);
    await deliverExports(deps(), tenant, shard);
    await append('job-2', 2_000, { a: 1 });
    await updateDeliveryState(store, tenant, shard, (state) => ({ next: { ...state, lease: { holder: 'other', until: time.state.now + 30_000 } }, result: undefined }));

    const busy = await deliverExports(deps(), tenant, shard, { state: stale });
    time.state.now += 31_000;
    const taken = await deliverExports(deps(), tenant, shard, { state: stale });

    assert.equal(busy.outcome, 'busy');
    assert.deepEqual([taken.outcome, taken.sent, taken.skipped], ['delivered', [2], []]);
    assert.equal(server.requests.length, 2, 'record 1 was delivered once, and is not sent again from the stale state');
  });

  it('never sends a record below one another sender marked attempted while this one planned', async () => {
    await append('job-1', 1_000, { a: 1 });
    const before = await readDeliveryState(store, tenant, shard);
    await append('job-2', 2_000, { a: 1 });
    // Another sender marked record 2 attempted and died; its lease has run out.
    await updateDeliveryState(store, tenant, shard, (state) => ({ next: { ...state, head: 2, attempted: 2, lease: { holder: 'dead', until: time.state.now - 1 } }, result: undefined }));

    const result = await deliverExports(deps(), tenant, shard, { state: before, record: (await readExportRecord(store, tenant, shard, 1))! });

    assert.deepEqual([result.outcome, result.sent, result.skipped, result.delivered], ['delivered', [2], [1], 2]);
    assert.equal(server.requests.length, 1);
  });

  it('when another sender marks a newer record between its look and its lease, it sends only from that one', async () => {
    await append('job-1', 1_000, { a: 1 });
    await append('job-2', 2_000, { a: 1 });
    let raced = false;
    const racing = interceptStore(store, async (call, run) => {
      if (!raced && call.op === 'putIfMatch' && call.key === deliveryStateKey(tenant, shard)) {
        raced = true;
        await append('job-3', 3_000, { a: 1 });
        await updateDeliveryState(store, tenant, shard, (state) => ({ next: { ...state, attempted: 3, lease: { holder: 'dead', until: time.state.now - 1 } }, result: undefined }));
      }
      return run();
    });

    const result = await deliverExports({ ...deps(), store: racing }, tenant, shard);

    assert.ok(raced);
    assert.deepEqual([result.outcome, result.sent, result.skipped, result.delivered], ['delivered', [3], [1, 2], 3]);
    assert.deepEqual(capturedSamples(server.requests[0]!).get(`__name__=up:sum,k=a,strata_rule=up_sum,strata_shard=${shard}`), [[3_000, 3]]);
  });

  it('a failure whose state write lands but comes back 412 (a retried PUT) is counted once, and the lease is released', async () => {
    await append('job-1', 1_000, { a: 1 });
    for (let i = 0; i < 50; i++) server.script.push({ status: 503 });
    let puts = 0;
    const landsThen412 = interceptStore(store, async (call, run) => {
      if (call.op !== 'putIfMatch' || call.key !== deliveryStateKey(tenant, shard)) return run();
      puts++;
      const outcome = await run();
      return puts === 2 ? { outcome: 'precondition-failed' } : outcome; // the lease write is 1, the failure's is 2
    });

    const result = await deliverExports({ ...deps(), store: landsThen412 }, tenant, shard);

    assert.equal(result.outcome, 'failed');
    const state = (await readDeliveryState(store, tenant, shard)).state;
    assert.deepEqual([state.failures, state.lease, state.lastError?.sequence], [1, null, 1]);
  });

  it('a record appended while it sends goes out in the same call, under the same lease, released at the end', async () => {
    await append('job-1', 1_000, { a: 1 });
    let appended = false;
    const appending = interceptStore(store, async (call, run) => {
      const outcome = await run();
      // After the lease write, before the request: the next job's record lands.
      if (!appended && call.op === 'putIfMatch' && call.key === deliveryStateKey(tenant, shard)) {
        appended = true;
        await append('job-2', 2_000, { a: 1 });
      }
      return outcome;
    });

    const result = await deliverExports({ ...deps(), store: appending }, tenant, shard);

    assert.deepEqual([result.outcome, result.sent, result.delivered], ['delivered', [1, 2], 2]);
    const state = (await readDeliveryState(store, tenant, shard)).state;
    assert.deepEqual([state.delivered, state.attempted, state.lease], [2, 2, null]);
    assertIncreasing(accepted([204, 204]));
  });

  it('prunes delivered records and claims of finished jobs, never an open job’s', async () => {
    for (let i = 1; i <= 30; i++) await append(`job-${i}`, 1_000 * i, { a: 1 });
    await deliverExports(deps({ maxBacklogRecords: 1 }), tenant, shard);

    const deleted = await pruneExports({ store }, tenant, shard, { openJobIds: new Set(['job-3']), asOf: Date.now() + 3_600_000, keep: 16 });

    const left = [...store.objects.keys()].filter((key) => /\/\d{16}\.json$/.test(key)).map((key) => Number(key.slice(-21, -5)));
    assert.deepEqual(left, [3, ...Array.from({ length: 17 }, (_, i) => 14 + i)]);
    assert.ok(store.objects.has(exportClaimKey(tenant, shard, 'job-3')));
    assert.ok(!store.objects.has(exportClaimKey(tenant, shard, 'job-30')) && deleted.includes(exportClaimKey(tenant, shard, 'job-30')));
    assert.ok(store.objects.has(deliveryStateKey(tenant, shard)));
    const retried = jobOf('job-3', 3_000, { a: 1 });
    assert.equal((await writeExportRecord({ store }, retried.job, retried.input)).outcome, 'existing');
    const next = await append('job-31', 31_000, { a: 1 });
    assert.equal(next.sequence, 31);
  });
});
