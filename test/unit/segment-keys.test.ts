import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidKeyError, InvalidTenantError } from '../../lib/segment/errors.js';
import {
  blockKey,
  decodeEventKey,
  exportKey,
  parseDataKey,
  quarantineKeys,
  segmentKey,
  stateKey,
  tenantProblem,
} from '../../lib/segment/keys.js';
import { compareLabelSets, compareUtf8, labelSetProblem, shardOf } from '../../lib/segment/labels.js';
import { sampleUlid } from '../helpers/segments.js';

describe('keys: layout', () => {
  it('builds every kind of key from one place', () => {
    assert.equal(segmentKey('team-a', 3, sampleUlid), `segments/team-a/3/${sampleUlid}.seg`);
    assert.equal(blockKey('team-a', 3, 2, 'L2-00000001'), 'blocks/team-a/3/L2/L2-00000001.blk');
    assert.equal(stateKey('team-a', 3), 'state/team-a/3.json');
    assert.equal(exportKey('team-a', 3, 42), 'exports/team-a/3/0000000000000042.json');
    assert.deepEqual(quarantineKeys('segments/x/y.seg'), {
      objectKey: 'quarantine/segments/x/y.seg',
      reportKey: 'quarantine/segments/x/y.seg.report.json',
    });
  });

  it('parses what it builds', () => {
    assert.deepEqual(parseDataKey(segmentKey('t.1', 0, sampleUlid)), {
      kind: 'segment', key: `segments/t.1/0/${sampleUlid}.seg`, tenant: 't.1', shard: 0, id: sampleUlid,
    });
    assert.deepEqual(parseDataKey(blockKey('t', 9, 3, 'job_1')), {
      kind: 'block', key: 'blocks/t/9/L3/job_1.blk', tenant: 't', shard: 9, level: 3, id: 'job_1',
    });
  });

  it('rejects keys outside the layout, saying which part is wrong', () => {
    const cases: Array<[string, RegExp]> = [
      ['state/t/1.json', /must start with segments\/ or blocks\//],
      [`segments/../0/${sampleUlid}.seg`, /reserved/],
      [`segments/t/01/${sampleUlid}.seg`, /without leading zeros/],
      [`segments/t/70000/${sampleUlid}.seg`, /from 0 to 65535/],
      [`segments/t/1/${sampleUlid}.blk`, /must end in .seg/],
      ['segments/t/1/not-a-ulid.seg', /is not a ULID/],
      [`segments/t/1/extra/${sampleUlid}.seg`, /expected segments\/\{tenant\}/],
      ['blocks/t/1/L0/x.blk', /L1 to L9/],
      ['blocks/t/1/L1/.hidden.blk', /block id/],
      [`segments/a b/1/${sampleUlid}.seg`, /may contain only/],
    ];
    for (const [key, why] of cases) {
      assert.throws(() => parseDataKey(key), (error: unknown) => error instanceof InvalidKeyError && why.test(error.message), key);
    }
  });

  it('decodes event keys: URL encoding with + for a space', () => {
    assert.equal(decodeEventKey('segments/a+b/0/c%2Bd.seg'), 'segments/a b/0/c+d.seg');
  });
});

describe('keys: tenants', () => {
  it('accepts ordinary tenant ids', () => {
    for (const tenant of ['anonymous', 'team-a', 'Org_1.prod', 'a'.repeat(150)]) assert.equal(tenantProblem(tenant), undefined, tenant);
  });

  it('rejects empty, reserved, too long and path-like ids', () => {
    for (const tenant of ['', '.', '..', '__internal', 'a'.repeat(151), 'a/b', '../x', 'a b', 'ü']) {
      assert.notEqual(tenantProblem(tenant), undefined, tenant);
    }
    assert.throws(() => stateKey('../x', 0), InvalidTenantError);
  });
});

describe('labels', () => {
  it('orders strings by UTF-8 bytes, not UTF-16 units', () => {
    // U+FF61 is one UTF-16 unit above the surrogates of U+1F600, but below it in UTF-8.
    assert.ok(compareUtf8('\uff61', '\u{1f600}') < 0);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const bytes = Buffer.compare(Buffer.from(a), Buffer.from(b));
        assert.equal(Math.sign(compareUtf8(a, b)), bytes);
      }),
    );
  });

  it('orders label sets label by label, a prefix first', () => {
    const a = [{ name: '__name__', value: 'up' }];
    const b = [{ name: '__name__', value: 'up' }, { name: 'job', value: 'x' }];
    assert.ok(compareLabelSets(a, b) < 0);
    assert.equal(compareLabelSets(b, b), 0);
  });

  it('explains what is wrong with a label set', () => {
    assert.equal(labelSetProblem([{ name: '__name__', value: 'up' }]), undefined);
    assert.match(labelSetProblem([{ name: '__name__', value: '1up' }])!, /metric name "1up" is not valid/);
    assert.match(labelSetProblem([{ name: '', value: 'x' }])!, /empty name/);
  });

  it('assigns a series to the same shard every time, spreading series across shards', () => {
    const counts = new Array<number>(4).fill(0);
    for (let i = 0; i < 4000; i++) {
      const labels = [{ name: '__name__', value: 'm' }, { name: 'i', value: String(i) }];
      const shard = shardOf(labels, 4);
      counts[shard]!++;
    }
    for (const count of counts) assert.ok(count > 800 && count < 1200, `uneven shards: ${counts.join(',')}`);
  });

  it('pins the shard function so files written elsewhere stay compatible', () => {
    // FNV-1a 32 of "__name__\xffup\xff" mod 65536, computed independently (docs/format.md).
    assert.equal(shardOf([{ name: '__name__', value: 'up' }], 1 << 16), fnvReference('__name__\xffup\xff') % (1 << 16));
  });

  it('property: hashes the UTF-8 bytes of any label text, ASCII or not', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'binary' })), { maxLength: 4 }), (pairs) => {
        const bytes = Buffer.concat(pairs.flatMap(([name, value]) => [Buffer.from(name), Uint8Array.of(0xff), Buffer.from(value), Uint8Array.of(0xff)]));
        const labels = pairs.map(([name, value]) => ({ name, value }));
        assert.equal(shardOf(labels, 1 << 16), fnvReference(bytes.toString('latin1')) % (1 << 16));
      }),
      { numRuns: 300 },
    );
  });
});

/** Byte-wise reference FNV-1a over a latin-1 string, for pinning the shard function. */
function fnvReference(text: string): number {
  let hash = 0x811c9dc5n;
  for (const char of text) hash = ((hash ^ BigInt(char.charCodeAt(0))) * 0x01000193n) & 0xffffffffn;
  return Number(hash);
}
