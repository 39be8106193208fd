/**
 * Building one block from a job's sources: open each source, merge them, and encode the result
 * under the job's identity, its chunks leaving for the output as they are sealed. Sources are read
 * a window at a time (StreamedFileReader), so memory does not grow with their size. A source that
 * turns out to be corrupt, on open or during the merge, is set aside and the merge starts again
 * without it, so the block is the same whichever way the corruption was found.
 */
import type { SeriesEntry } from '../segment/entry.js';
import { SegmentFormatError } from '../segment/errors.js';
import { FileWriter, StreamedFileReader, type FileHeader, type FileIdentity, type RangedFile, type ReadLimits } from '../segment/format.js';
import { parseDataKey } from '../segment/keys.js';
import { mergeEntries, newMergeStats, type MergeStats } from './merge.js';
import type { BlockOutput } from './output.js';

export interface SourceObject {
  key: string;
  file: RangedFile;
}

export interface RejectedSource {
  key: string;
  error: SegmentFormatError;
}

export interface BuiltBlock {
  /** Bytes written to the output. */
  size: number;
  /** Keys of the sources whose series the block holds (sorted). */
  sources: string[];
  /** Headers of those sources, in the same order. */
  sourceHeaders: FileHeader[];
  rejected: RejectedSource[];
  stats: MergeStats;
}

export interface BuildOptions {
  limits?: Partial<ReadLimits>;
  /**
   * Called as each merge starts; the function it returns sees every series written, in order. A
   * merge that restarts without a corrupt source calls it again: only the last one saw the block.
   */
  observe?: () => (entry: SeriesEntry) => void;
}

/** Thrown inside the merge to say which source broke. */
class SourceFailure extends Error {
  constructor(
    readonly key: string,
    readonly error: SegmentFormatError,
  ) {
    super(error.message);
  }
}

/**
 * Merges `sources` (sorted by key, as job specs list them) into one block written to `output`. The
 * block's sources are those that were used, its shard count theirs; rejected sources are reported,
 * not thrown.
 */
export async function buildBlock(
  identity: Omit<FileIdentity, 'sources' | 'shardCount'>,
  sources: readonly SourceObject[],
  output: BlockOutput,
  options: BuildOptions = {},
): Promise<BuiltBlock> {
  const rejected: RejectedSource[] = [];
  let usable: Array<{ key: string; reader: StreamedFileReader }> = [];
  for (const source of sources) {
    try {
      usable.push({ key: source.key, reader: await StreamedFileReader.open(source.file, { expectKey: parseDataKey(source.key), ...(options.limits ? { limits: options.limits } : {}) }) });
    } catch (error) {
      if (!(error instanceof SegmentFormatError)) throw error;
      rejected.push({ key: source.key, error });
    }
  }
  for (;;) {
    const stats = newMergeStats();
    // Sources were each checked against their shard; with none left (all corrupt), any count that
    // holds the shard makes a valid, empty block.
    const shardCount = usable[0]?.reader.header.shardCount ?? identity.shard + 1;
    const writer = new FileWriter({ ...identity, shardCount, sources: usable.map((source) => source.key) });
    const observer = options.observe?.();
    try {
      await mergeEntries(
        usable.map(({ key, reader }) => tagFailures(key, reader.chunkEntries())),
        (entry) => {
          writer.addEntry(entry);
          observer?.(entry);
          const sealed = writer.takeChunks();
          return sealed.length > 0 ? output.write(sealed) : undefined;
        },
        stats,
      );
      const { head, chunks } = writer.finishParts();
      const size = await output.finish(head, chunks);
      const used = [...usable].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return { size, sources: used.map((source) => source.key), sourceHeaders: used.map((source) => source.reader.header), rejected, stats };
    } catch (error) {
      if (!(error instanceof SourceFailure)) throw error;
      await output.discard();
      rejected.push({ key: error.key, error: error.error });
      usable = usable.filter((source) => source.key !== error.key);
    }
  }
}

async function* tagFailures(key: string, batches: AsyncIterable<SeriesEntry[]>): AsyncGenerator<SeriesEntry[]> {
  try {
    yield* batches;
  } catch (error) {
    if (error instanceof SegmentFormatError) throw new SourceFailure(key, error);
    throw error;
  }
}
