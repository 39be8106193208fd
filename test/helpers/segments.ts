/** Factories for series and file identities used across tests. */
import { buildBlock, type BuiltBlock, type SourceObject } from '../../lib/compact/block.js';
import { mergeEntries, type MergeStats } from '../../lib/compact/merge.js';
import { MemoryBlockOutput } from '../../lib/compact/output.js';
import { entryOf } from '../../lib/segment/entry.js';
import { seriesOf, type FileIdentity, type RangedFile, type Series } from '../../lib/segment/format.js';
import { sortLabels } from '../../lib/segment/labels.js';

export const sampleUlid = '01JD5Z3Q4R8X9V2W6T7Y0K1M3N';

export function series(name: string, labels: Record<string, string>, samples: Array<[number, number]>): Series {
  return {
    labels: sortLabels([{ name: '__name__', value: name }, ...Object.entries(labels).map(([n, value]) => ({ name: n, value }))]),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
    functions: [],
    stacks: [],
  };
}

export function segmentIdentity(overrides: Partial<FileIdentity> = {}): FileIdentity {
  return {
    tenant: 'team-a',
    shard: 0,
    level: 0,
    id: sampleUlid,
    createdBy: 'strata-test',
    createdAtMs: 1_700_000_000_000,
    shardCount: 1,
    ...overrides,
  };
}

/** Runs the compaction merge over decoded series lists (one list per source) and decodes the result. */
export async function mergeSeriesLists(sources: Series[][], stats?: MergeStats): Promise<Series[]> {
  const merged: Series[] = [];
  await mergeEntries(
    sources.map((list) => [list.map(entryOf)]),
    (entry) => void merged.push(seriesOf(entry)),
    stats,
  );
  return merged;
}

/** A file already in memory, as a RangedFile. */
export function rangedFileOf(bytes: Uint8Array): RangedFile {
  return { size: bytes.length, start: bytes, read: async (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Files in memory as buildBlock's sources. */
export function sourcesOf(files: ReadonlyArray<{ key: string; bytes: Uint8Array }>): SourceObject[] {
  return files.map(({ key, bytes }) => ({ key, file: rangedFileOf(bytes) }));
}

/** `buildBlock` into memory: the built block and its bytes. */
export async function buildBlockInMemory(identity: Parameters<typeof buildBlock>[0], files: ReadonlyArray<{ key: string; bytes: Uint8Array }>): Promise<BuiltBlock & { bytes: Uint8Array }> {
  const output = new MemoryBlockOutput();
  const built = await buildBlock(identity, sourcesOf(files), output);
  return { ...built, bytes: output.bytes };
}
