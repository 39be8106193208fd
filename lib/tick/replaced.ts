/**
 * "Was this segment already replaced by a block?" — the last check before the tick adopts a
 * segment that no state knows. Under the protocol a compacted segment stays tombstoned until it
 * is deleted, so this only matters when the state was lost or reset; it keeps such a leftover from
 * being compacted (and counted) twice.
 *
 * It reads the headers (the `sources` list) of the shard's blocks that the state does not know
 * (final-level blocks, blocks from before a lost state). Blocks are immutable, so their sources are
 * cached by key and ETag for the life of the process (a warm Lambda keeps them), and only blocks
 * written after the segment can have replaced it.
 */
import type { ObjectInfo, ObjectStore } from '../aws/contract.js';
import type { ShardState } from '../metastore/types.js';
import { SegmentFormatError } from '../segment/errors.js';
import { readStoredHeader } from '../compact/live.js';
import { blockKey, parseDataKey } from '../segment/keys.js';

/** The source keys a block names. */
export type BlockSourcesReader = (key: string) => Promise<string[]>;

/** Reads only the block's header (a ranged GET). */
export function blockSourcesFromStore(store: ObjectStore): BlockSourcesReader {
  return async (key) => {
    try {
      return (await readStoredHeader(store, parseDataKey(key)))?.sources ?? [];
    } catch (error) {
      // A corrupt block is the compactor's and the readers' problem; it must not stop adoption.
      if (error instanceof SegmentFormatError) return [];
      throw error;
    }
  };
}

const sourcesCache = new Map<string, string[]>();
const maxCachedBlocks = 10_000;

/** Slack for clock differences between the block's writer and the segment's. */
const skewMs = 5 * 60_000;

export class ReplacedSegments {
  private blocks: ObjectInfo[] | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly readSources: BlockSourcesReader,
    private readonly tenant: string,
    private readonly shard: number,
  ) {}

  /** The block that names `segment` as a source, if any. */
  async replacedBy(state: ShardState, segment: ObjectInfo): Promise<string | undefined> {
    this.blocks ??= await this.listUnknownBlocks(state);
    const writtenAfter = (segment.lastModified?.getTime() ?? 0) - skewMs;
    for (const block of this.blocks) {
      if (block.lastModified !== undefined && block.lastModified.getTime() < writtenAfter) continue;
      const sources = await this.sources(block);
      if (sources.includes(segment.key)) return block.key;
    }
    return undefined;
  }

  private async listUnknownBlocks(state: ShardState): Promise<ObjectInfo[]> {
    const known = new Set<string>();
    for (const block of state.waiting) known.add(blockKey(this.tenant, this.shard, block.level, block.id));
    for (const job of state.jobs) known.add(blockKey(this.tenant, this.shard, job.level, job.id));
    for (const tombstone of state.tombstones) {
      if (tombstone.level >= 1) for (const id of tombstone.sources) known.add(blockKey(this.tenant, this.shard, tombstone.level, id));
    }
    const blocks: ObjectInfo[] = [];
    for await (const object of this.store.list(`blocks/${this.tenant}/${this.shard}/`)) {
      if (known.has(object.key)) continue;
      try {
        if (parseDataKey(object.key).kind === 'block') blocks.push(object);
      } catch {
        // Not a block key: nothing a reader would count.
      }
    }
    return blocks;
  }

  private async sources(block: ObjectInfo): Promise<string[]> {
    const cacheKey = `${block.key}\n${block.etag}`;
    let sources = sourcesCache.get(cacheKey);
    if (sources === undefined) {
      sources = await this.readSources(block.key);
      if (sourcesCache.size >= maxCachedBlocks) sourcesCache.clear();
      sourcesCache.set(cacheKey, sources);
    }
    return sources;
  }
}
