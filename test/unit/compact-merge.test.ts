import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readStoredHeader } from '../../lib/compact/live.js';
import { compareValueBits, mergeEntries, newMergeStats } from '../../lib/compact/merge.js';
import { decodeFile, encodeFile, type Series } from '../../lib/segment/format.js';
import { parseDataKey, segmentKey } from '../../lib/segment/keys.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { entryOf } from '../../lib/segment/entry.js';
import { buildBlockInMemory, mergeSeriesLists, series, segmentIdentity } from '../helpers/segments.js';

const ulids = ['01JD5Z3Q4R8X9V2W6T7Y0K1M3A', '01JD5Z3Q4R8X9V2W6T7Y0K1M3B', '01JD5Z3Q4R8X9V2W6T7Y0K1M3C'];

function source(index: number, list: Series[]) {
  const key = segmentKey('team-a', 0, ulids[index]!);
  return { key, bytes: encodeFile(segmentIdentity({ id: ulids[index]! }), list) };
}

const { shardCount: _unused, ...blockIdentity } = { ...segmentIdentity(), level: 1, id: 'L1-00000001' };
const rows = (s: Series) => s.samples.map((x) => [x.timestamp, x.value]);

describe('compaction merge', () => {
  it('interleaves series from all sources in label order, each once', async () => {
    const merged = await mergeSeriesLists([
      [series('a', {}, [[1, 1]]), series('c', {}, [[1, 1]])],
      [series('b', {}, [[1, 1]]), series('c', {}, [[2, 2]])],
    ]);
    assert.deepEqual(merged.map((s) => s.labels[0]!.value), ['a', 'b', 'c']);
    assert.deepEqual(rows(merged[2]!), [[1, 1], [2, 2]]);
  });

  it('drops exact duplicate rows and keeps different values at one timestamp', async () => {
    const stats = newMergeStats();
    const [merged] = await mergeSeriesLists([[series('up', {}, [[1, 1], [2, 5]])], [series('up', {}, [[1, 1], [2, 7], [3, 1]])]], stats);
    assert.deepEqual(rows(merged!), [[1, 1], [2, 5], [2, 7], [3, 1]]);
    assert.deepEqual(stats, { series: 1, samplesIn: 5, samplesOut: 4, stacksIn: 0, stacksOut: 0 });
  });

  it('gives the event loop a turn during a long merge of sources already in memory', async () => {
    // Nothing here waits on I/O: without its own turns the merge would run to the end in microtasks.
    const sources = [0, 1].map((source) => [Array.from({ length: 400 }, (_, i) => entryOf(series(`m${String(i).padStart(3, '0')}`, {}, [[source, 1]])))]);
    const order: string[] = [];
    setImmediate(() => order.push('event loop turn'));
    await mergeEntries(sources, () => {
      const until = performance.now() + 0.1; // 0.1 ms of work per series, 40 ms in all
      while (performance.now() < until);
      if (order.at(-1) !== 'series') order.push('series');
    });
    order.push('merge done');
    assert.deepEqual(order, ['series', 'event loop turn', 'series', 'merge done']);
  });

  it('tells NaN payloads and signed zeros apart', async () => {
    const stale = new DataView(new ArrayBuffer(8));
    stale.setUint32(0, 0x7ff00000);
    stale.setUint32(4, 0x00000002); // Prometheus' stale marker
    assert.notEqual(compareValueBits(stale.getFloat64(0), Number.NaN), 0);
    assert.notEqual(compareValueBits(0, -0), 0);
    assert.equal(compareValueBits(1.5, 1.5), 0);
  });

  it('merges the copies of a series in source order, so the function table does not depend on the merge', async () => {
    // First use by source order gives [late, early]; by time it would give [early, late].
    const first: Series = { ...series('cpu', {}, []), functions: ['late'], stacks: [{ timestamp: 2, frames: [0], value: 1 }] };
    const second: Series = { ...series('cpu', {}, []), functions: ['early'], stacks: [{ timestamp: 1, frames: [0], value: 1 }] };
    const other: Series = { ...series('aaa', {}, []), functions: ['x'], stacks: [{ timestamp: 1, frames: [0], value: 1 }] };
    for (const sources of [[[first], [other, second]], [[other, first], [second]]]) {
      const merged = (await mergeSeriesLists(sources)).find((one) => one.labels[0]!.value === 'cpu');
      assert.deepEqual(merged!.functions, ['late', 'early']);
    }
  });

  it('merges profile stacks into one function table and drops duplicate stacks', async () => {
    const a: Series = { ...series('cpu', {}, [[1, 3]]), functions: ['main', 'work'], stacks: [{ timestamp: 1, frames: [1, 0], value: 3 }] };
    const b: Series = {
      ...series('cpu', {}, [[1, 3], [2, 4]]),
      functions: ['idle', 'work', 'main'],
      stacks: [{ timestamp: 1, frames: [1, 2], value: 3 }, { timestamp: 2, frames: [0, 2], value: 4 }],
    };
    const [merged] = await mergeSeriesLists([[a], [b]]);
    assert.deepEqual(merged!.functions, ['work', 'main', 'idle']); // in order of first use, leaf first
    assert.deepEqual(merged!.stacks.map((s) => [s.timestamp, s.frames.map((f) => merged!.functions[f]), s.value]), [
      [1, ['work', 'main'], 3],
      [2, ['idle', 'main'], 4],
    ]);
  });

  it('property: any split of a data set into sources, with overlaps, merges back to the data set', async () => {
    const dataSet = fc.uniqueArray(
      fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), job: fc.constantFrom('x', 'y'), t: fc.integer({ min: 0, max: 50 }), v: fc.integer({ min: 0, max: 3 }) }),
      { selector: (r) => `${r.name}/${r.job}/${r.t}/${r.v}`, minLength: 1, maxLength: 60 },
    );
    await fc.assert(
      fc.asyncProperty(dataSet, fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 60, maxLength: 60 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), async (rowsIn, placement, duplicated) => {
        const perSource: Array<Map<string, Array<[number, number]>>> = [new Map(), new Map(), new Map()];
        rowsIn.forEach((row, i) => {
          const targets = duplicated[i] ? [placement[i]!, (placement[i]! + 1) % 3] : [placement[i]!];
          for (const target of targets) {
            const key = `${row.name}/${row.job}`;
            perSource[target]!.set(key, [...(perSource[target]!.get(key) ?? []), [row.t, row.v]]);
          }
        });
        const sources = perSource.map((map, index) =>
          source(index, [...map].map(([key, samples]) => series(key.split('/')[0]!, { job: key.split('/')[1]! }, samples.sort((p, q) => p[0] - q[0] || p[1] - q[1])))),
        );
        const block = await buildBlockInMemory(blockIdentity, sources);
        const out = decodeFile(block.bytes).series.flatMap((s) => s.samples.map((x) => `${s.labels[0]!.value}/${s.labels[1]!.value}/${x.timestamp}/${x.value}`));
        assert.deepEqual(out.sort(), rowsIn.map((r) => `${r.name}/${r.job}/${r.t}/${r.v}`).sort());
      }),
      { numRuns: 150 },
    );
  });
});

describe('building a block', () => {
  const good = [source(0, [series('up', { job: 'a' }, [[1, 1]])]), source(1, [series('up', { job: 'a' }, [[2, 1]]), series('up', { job: 'b' }, [[2, 1]])])];

  it('is byte-identical when built again from the same sources', async () => {
    assert.deepEqual((await buildBlockInMemory(blockIdentity, good)).bytes, (await buildBlockInMemory(blockIdentity, good)).bytes);
  });

  it('names its sources in the header', async () => {
    const { bytes, sources } = await buildBlockInMemory(blockIdentity, good);
    assert.deepEqual(decodeFile(bytes).header.sources, good.map((s) => s.key).sort());
    assert.deepEqual(sources, good.map((s) => s.key).sort());
  });

  it('sets aside a corrupt source, found on open or mid-merge, and builds the same block without it', async () => {
    const truncated = { key: source(2, []).key, bytes: good[0]!.bytes.subarray(0, 20) };
    const withBadOpen = await buildBlockInMemory(blockIdentity, [...good, truncated]);
    assert.deepEqual(withBadOpen.rejected.map((r) => r.key), [truncated.key]);
    assert.match(withBadOpen.rejected[0]!.error.message, /ends inside|shorter/);

    // Header says one key, the object sits under another: rejected when opened against its key.
    const misplaced = { key: segmentKey('team-a', 0, ulids[2]!), bytes: good[0]!.bytes };
    const withMisplaced = await buildBlockInMemory(blockIdentity, [...good, misplaced]);
    assert.deepEqual(withMisplaced.rejected.map((r) => r.key), [misplaced.key]);
    assert.deepEqual(withMisplaced.bytes, (await buildBlockInMemory(blockIdentity, good)).bytes);
  });
});

describe('reading a stored header', () => {
  it('reads only the first bytes, a second range for a long header, nothing for a missing object', async () => {
    const store = new MemoryObjectStore();
    const reads: number[] = [];
    const getRange = store.getRange.bind(store);
    store.getRange = async (key, offset, length) => (reads.push(length), getRange(key, offset, length));

    const many = Array.from({ length: 2000 }, (_, i) => segmentKey('team-a', 0, `01JD5Z3Q4R8X9V2W6T7Y${String(i).padStart(6, '0')}`));
    for (const [id, sources] of [['L1-small', many.slice(0, 3)], ['L1-large', many]] as const) {
      const big = Array.from({ length: 3000 }, (_, i) => series('m', { i: String(i).padStart(5, '0') }, [[i, i]]));
      await store.put(`blocks/team-a/0/L1/${id}.blk`, encodeFile({ ...blockIdentity, id, shardCount: 1, sources: [...sources] }, big));
    }

    const small = await readStoredHeader(store, parseDataKey('blocks/team-a/0/L1/L1-small.blk'));
    assert.equal(small!.sources.length, 3);
    assert.deepEqual(reads, [64 * 1024]);
    const large = await readStoredHeader(store, parseDataKey('blocks/team-a/0/L1/L1-large.blk'));
    assert.equal(large!.sources.length, 2000);
    assert.equal(reads.length, 3, 'a header longer than the first read takes exactly one more');
    assert.ok(reads[2]! > 64 * 1024 && reads[2]! < (await store.head('blocks/team-a/0/L1/L1-large.blk'))!.size);
    assert.equal(await readStoredHeader(store, parseDataKey('blocks/team-a/0/L1/L1-gone.blk')), undefined);
  });
});
