/**
 * The chaos campaigns' checks can fail: a lost, doubled or stray sample, a conflicting sample at
 * the receiver and a quarantine without its report are each reported. (A campaign that passes
 * only means something if these do not pass by construction.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSegments } from '../../lib/segment/build.js';
import { decodeFile, encodeFile } from '../../lib/segment/format.js';
import { blockKey, quarantineKeys } from '../../lib/segment/keys.js';
import { buildWriteRequestBody } from '../../lib/remotewrite/encode.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { segmentIdentity, series } from '../helpers/segments.js';
import { checkQuarantine, checkRows, storedRows } from './invariants.js';
import { ChaosReceiver } from './receiver.js';

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
