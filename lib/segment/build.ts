/**
 * Turning series into L0 segments: split by shard, one segment per (tenant, shard), each under a
 * key derived from its content so that writing the same series twice lands on the same key.
 *
 * The id is a ULID whose time part is the segment's newest sample (the data's time, not the
 * writer's) and whose 80-bit random part is a SHA-256 of (tenant, shard, encoded series).
 */
import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import { encodeSeriesEntry } from './encode.js';
import { FileReader, FileWriter, type FileHeader, type Series } from './format.js';
import { segmentKey } from './keys.js';
import { compareLabelSets, shardOf } from './labels.js';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const maxUlidTime = 2 ** 48 - 1;

/** A ULID from a time and a digest: the first 10 bytes of the digest become its random part. */
export function contentUlid(timeMs: number, digest: Uint8Array): string {
  const time = encodeTime(Math.min(Math.max(Math.trunc(timeMs), 0), maxUlidTime), 10);
  let random = '';
  let bits = 0;
  let buffer = 0;
  for (let i = 0; i < 10; i++) {
    buffer = (buffer << 8) | digest[i]!;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += crockford[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return time + random;
}

/** The content digest of a segment: tenant, shard and each encoded series entry, length-prefixed. */
export function segmentDigest(tenant: string, shard: number, entries: Iterable<Uint8Array>): Uint8Array {
  const hash = createHash('sha256').update(`${tenant}\n${shard}\n`);
  const length = Buffer.alloc(4);
  for (const entry of entries) {
    length.writeUInt32LE(entry.length);
    hash.update(length).update(entry);
  }
  return hash.digest();
}

export interface BuiltSegment {
  key: string;
  bytes: Uint8Array;
  header: FileHeader;
}

export interface BuildOptions {
  tenant: string;
  shardCount: number;
  createdBy: string;
  createdAtMs: number;
}

/** Splits series by shard and encodes one segment per shard, in shard order. */
export function buildSegments(series: readonly Series[], options: BuildOptions): BuiltSegment[] {
  const byShard = new Map<number, Series[]>();
  for (const one of series) {
    const shard = shardOf(one.labels, options.shardCount);
    const list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, [one]);
    else list.push(one);
  }
  return [...byShard.entries()]
    .sort(([a], [b]) => a - b)
    .map(([shard, list]) => {
      const sorted = [...list].sort((a, b) => compareLabelSets(a.labels, b.labels));
      const newest = Math.max(...sorted.flatMap((one) => [one.samples.at(-1)?.timestamp ?? 0, one.stacks.at(-1)?.timestamp ?? 0]));
      const id = contentUlid(newest, segmentDigest(options.tenant, shard, sorted.map(encodeSeriesEntry)));
      const writer = new FileWriter({ ...options, shard, level: 0, id });
      for (const one of sorted) writer.add(one);
      const bytes = writer.finish();
      return { key: segmentKey(options.tenant, shard, id), bytes, header: FileReader.open(bytes).header };
    });
}
