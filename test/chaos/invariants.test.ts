/**
 * The chaos campaigns' checks can fail: a lost, doubled or stray sample, a conflicting sample at
 * the receiver, a quarantine without its report, work left after quiescence, a source of two
 * blocks, an export record that counts a job never compacted and counters off the truth are each
 * reported. (A campaign that passes only means something if these do not pass by construction.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeExportRecord } from '../../lib/export/chain.js';
import { emptyState, serializeState } from '../../lib/metastore/schema.js';
import { buildSegments } from '../../lib/segment/build.js';
import { decodeFile, encodeFile } from '../../lib/segment/format.js';
import { blockKey, quarantineKeys, stateKey } from '../../lib/segment/keys.js';
import { buildWriteRequestBody } from '../../lib/remotewrite/encode.js';
import { totalsKey } from '../helpers/e2e-data.js';
import { jobOf } from '../helpers/export-fixtures.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { pendingSegments } from '../helpers/planner-fixtures.js';
import { segmentIdentity, series } from '../helpers/segments.js';
import { checkExports, checkLineage, checkQuarantine, checkQuiescent, checkRows, compareTotals, storedRows } from './invariants.js';
import { planSeed } from './plan.js';
import { ChaosReceiver } from './receiver.js';
import { World } from './world.js';

const tenant = 'team-a';

async function twoSegments() {
  const store = new MemoryObjectStore();
  const segments = [
    ...buildSegments([series('up', { job: 'a' }, [[1000, 1], [2000, 2]])], { tenant, shardCount: 1, createdBy: 'test', createdAtMs: 1 }),
    ...buildSegments([series('up', { job: 'b' }, [[1000, 3]])], { tenant, shardCount: 1, createdBy: 'test', createdAtMs: 2 }),
  ];
  for (const segment of segments) await store.put(segment.key, segment.bytes);
  const rows = new Set(segments.flatMap((segment) => decodeFile(segment.bytes).series.flatMap(storedRows)));
  return { store, segments, rows };
}

/** A world over an empty bucket, as a seed starts. */
function emptyWorld(): World {
  return new World(planSeed(1, 0).settings, new MemoryObjectStore());
}

/** A level-1 block of `tenant`'s shard 0 whose header names `sources`. */
function blockOf(id: string, sources: string[]): { key: string; bytes: Uint8Array } {
  const bytes = encodeFile({ ...segmentIdentity({ tenant, id, level: 1 }), sources }, [series('up', { job: 'a' }, [[1000, 1]])]);
  return { key: blockKey(tenant, 0, 1, id), bytes };
}

describe('chaos: the checks', () => {
  it('rows: the live set holding each acknowledged row once passes', async () => {
    const { store, rows } = await twoSegments();
    const result = await checkRows(store, tenant, { exactlyOnce: rows, atMostOnce: new Set() }, 'test');
    assert.deepEqual(result.violations, []);
    assert.equal(result.checked, 3);
  });

  it('rows: a lost, a doubled and a stray row are each reported', async () => {
    const { store, segments, rows } = await twoSegments();
    // A block that names no source but repeats segment 0's rows, one stray row, and segment 1 gone.
    const copy = decodeFile(segments[0]!.bytes).series;
    const stray = series('up', { job: 'stray' }, [[5000, 1]]);
    const block = encodeFile({ ...segmentIdentity({ tenant, id: 'j000000000001-L1-0000000000000000', level: 1 }), sources: [] }, [...copy, stray]);
    await store.put(blockKey(tenant, 0, 1, 'j000000000001-L1-0000000000000000'), block);
    await store.deleteMany([segments[1]!.key]);
    const { violations } = await checkRows(store, tenant, { exactlyOnce: rows, atMostOnce: new Set() }, 'test');
    assert.equal(violations.length, 3, violations.join('\n'));
    assert.match(violations.join('\n'), /in no live object \(lost\)/);
    assert.match(violations.join('\n'), /in 2 live objects \(counted twice\)/);
    assert.match(violations.join('\n'), /never pushed or dropped/);
  });

  it('receiver: an older sample or another value at the latest timestamp is refused and reported; an identical resend is not', async () => {
    const receiver = new ChaosReceiver({ fault: () => undefined });
    const write = (ts: number, value: number) =>
      receiver.fetch('http://receiver/api/v1/write', {
        method: 'POST',
        body: buildWriteRequestBody([{ labels: [{ name: '__name__', value: 'm' }, { name: 'strata_tenant', value: tenant }], samples: [{ timestamp: ts, value }] }]),
      });
    assert.equal((await write(2000, 1)).status, 204);
    assert.equal((await write(2000, 1)).status, 204, 'an identical resend is accepted');
    assert.equal(receiver.view.violations.length, 0);
    assert.equal((await write(2000, 5)).status, 400);
    assert.equal((await write(1000, 1)).status, 400);
    assert.deepEqual(
      receiver.view.violations.map((violation) => violation.problem),
      ['two values at 2000: 1 and 5', 'sample at 1000 after one at 2000'],
    );
  });

  it('quiescence: a pending segment, a stranded segment, a queued message, an undelivered record and a stray state object are each reported', async () => {
    const world = emptyWorld();
    assert.deepEqual(await checkQuiescent(world), []);
    const [segment] = buildSegments([series('up', { job: 'a' }, [[1000, 1]])], { tenant, shardCount: 1, createdBy: 'test', createdAtMs: 1 });
    await world.store.put(segment!.key, segment!.bytes);
    await world.store.put(stateKey(tenant, 0), serializeState({ ...emptyState(tenant, 0, 'gen0'), pending: pendingSegments(1) }));
    const { job, input } = jobOf('job-1', 1_000, { a: 1 });
    await writeExportRecord({ store: world.store }, job, input);
    await world.store.put('state/not-a-state.json', new Uint8Array(1));
    world.jobs.send({ id: 'job', body: '{}', groupId: 'g', deduplicationId: 'd' });
    const violations = (await checkQuiescent(world)).join('\n');
    assert.match(violations, /1 message\(s\) left on sim:\/\/jobs\.fifo/);
    assert.match(violations, /the state of team-a\/0 still holds \{"pending":1,"waiting":0,"jobs":0,"tombstones":0\}/);
    assert.match(violations, /1 segment\(s\) stranded/);
    assert.match(violations, /1 export record\(s\) of team-a\/2 undelivered/);
    assert.match(violations, /state: unexpected object state\/not-a-state\.json/);
  });

  it('lineage: a source of two blocks and a segment compacted into none are each reported', () => {
    const world = emptyWorld();
    const [consumed, forgotten] = ['segments/team-a/0/a.seg', 'segments/team-a/0/b.seg'];
    world.log.write(consumed!, new Uint8Array(1));
    assert.deepEqual(checkLineage(world, 1), ['invariant 3: segments/team-a/0/a.seg is a source of 0 block(s)']);
    world.log.write(forgotten!, new Uint8Array(1));
    for (const block of [blockOf('j000000000001-L1-0000000000000000', [consumed!]), blockOf('j000000000002-L1-0000000000000000', [consumed!])]) world.log.write(block.key, block.bytes);
    const violations = checkLineage(world, 1);
    assert.equal(violations.length, 2, violations.join('\n'));
    assert.match(violations.join('\n'), /a\.seg is a source of 2 block\(s\)/);
    assert.match(violations.join('\n'), /b\.seg is a source of 0 block\(s\)/);
  });

  it('exports: an undelivered record counting a job and segments never compacted, and counters off the truth, are reported', async () => {
    const world = emptyWorld();
    const { job, input } = jobOf('job-1', 1_000, { a: 1 });
    await writeExportRecord({ store: world.store }, job, input);
    // The truth says one error was counted; neither the record (another rule) nor the receiver (sent nothing) has it.
    const { violations, counters } = await checkExports(world, tenant, new Map([[totalsKey('errors', '500'), 1]]), { checkValues: true });
    assert.equal(counters, 2);
    const text = violations.join('\n');
    assert.match(text, /invariant 4: exports of team-a\/2: record 1 is the latest, 0 delivered/);
    assert.match(text, /the records count 1 L0 jobs, 0 L1 blocks were written/);
    assert.match(text, /the records count 3 segments, 0 were written/);
    assert.match(text, /counters of team-a in the export records: .*: 0, expected 1/);
    assert.match(text, /counters of team-a at the receiver: .*: 0, expected 1/);
  });

  it('totals: a group off, missing or extra is reported; a group at 0 counts as absent', () => {
    assert.deepEqual(compareTotals('t', new Map([['a', 1], ['z', 0]]), new Map([['a', 1]])), []);
    assert.deepEqual(compareTotals('t', new Map([['a', 1], ['c', 4]]), new Map([['a', 2], ['b', 1]])), ['t: a: 1, expected 2; c: 4, expected 0; b: 0, expected 1']);
  });

  it('quarantine: a bad object without its report, one not quarantined and a valid one quarantined are each reported', async () => {
    const store = new MemoryObjectStore();
    const report = (key: string) => new TextEncoder().encode(JSON.stringify({ key, reason: 'bad' }));
    const [withReport, withoutReport, missing, valid] = ['a', 'b', 'c', 'd'].map((name) => `segments/${tenant}/0/${name}.seg`);
    await store.put(quarantineKeys(withReport!).objectKey, new Uint8Array(1));
    await store.put(quarantineKeys(withReport!).reportKey, report(withReport!));
    await store.put(quarantineKeys(withoutReport!).objectKey, new Uint8Array(1));
    await store.put(quarantineKeys(valid!).objectKey, new Uint8Array(1));
    assert.deepEqual(await checkQuarantine(store, new Set([withReport!])), [
      `invariant 6: 2 object(s) in quarantine that hold valid data, e.g. ${quarantineKeys(withoutReport!).objectKey}, ${quarantineKeys(valid!).objectKey}`,
    ]);
    const violations = await checkQuarantine(store, new Set([withReport!, withoutReport!, missing!]));
    assert.equal(violations.length, 3, violations.join('\n'));
    assert.match(violations.join('\n'), /b\.seg is in quarantine without a report/);
    assert.match(violations.join('\n'), /1 bad object\(s\) not in quarantine, e\.g\. segments\/team-a\/0\/c\.seg/);
    assert.match(violations.join('\n'), /in quarantine that hold valid data, e\.g\. quarantine\/segments\/team-a\/0\/d\.seg/);
  });
});
