/** `strata put`: drops segment files into the bucket under the keys their headers name. */
import { readFileSync } from 'node:fs';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { SegmentFormatError } from '../../lib/segment/errors.js';
import { decodeFile } from '../../lib/segment/format.js';
import { segmentKey } from '../../lib/segment/keys.js';
import { resolveStoreTarget } from '../context.js';
import { CommandError, UsageError, parseOptions, type Command, type Io } from '../usage.js';

const parallelUploads = 8;

export const putCommand: Command = {
  name: 'put',
  summary: 'upload segment files to the bucket',
  help: `Usage: strata put [--bucket NAME] [--endpoint URL] FILE...

Checks each segment file (container, checksums, series) and uploads it to
segments/<tenant>/<shard>/<ulid>.seg, the key its header names, with If-None-Match: *
so a file already in the bucket is left alone. The S3 notification then starts the
pipeline. Invalid files are reported and not uploaded; the others still are.

Options:
  --bucket NAME    bucket (default: $STRATA_BUCKET, else the one strata dev started)
  --endpoint URL   S3 endpoint (default: $AWS_ENDPOINT_URL, else strata dev's; AWS when neither)`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { bucket: { type: 'string' }, endpoint: { type: 'string' } });
    if (positionals.length === 0) throw new UsageError('give at least one segment file');
    const { s3, bucket } = resolveStoreTarget(values);
    const store = new S3ObjectStore(s3, bucket);
    const progress = new Progress(io, positionals.length);
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < positionals.length) {
        const path = positionals[next++]!;
        try {
          const outcome = await putOne(store, path);
          progress.clear();
          io.out(`${path} → s3://${bucket}/${outcome.key}${outcome.created ? '' : ' (already there, left as is)'}`);
        } catch (error) {
          progress.clear();
          failures.push(path);
          io.err(`${path}: ${(error as Error).message}`);
        }
        progress.advance();
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallelUploads, positionals.length) }, worker));
    progress.clear();
    if (failures.length > 0) throw new CommandError(`${failures.length} of ${positionals.length} file(s) were not uploaded`);
  },
};

async function putOne(store: S3ObjectStore, path: string): Promise<{ key: string; created: boolean }> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CommandError(`cannot read: ${(error as Error).message}`);
  }
  let header;
  try {
    header = decodeFile(bytes, { source: path }).header;
  } catch (error) {
    if (error instanceof SegmentFormatError) throw new CommandError(`not a valid segment file: ${error.message}`);
    throw error;
  }
  if (header.kind !== 'segment') throw new CommandError('this is a block; only segments are dropped into the bucket (blocks are written by the compactor)');
  const key = segmentKey(header.tenant, header.shard, header.id);
  const result = await store.putIfAbsent(key, bytes, { contentType: 'application/vnd.strata.segment' });
  if (result.outcome === 'written') return { key, created: true };
  if (result.outcome === 'precondition-failed') return { key, created: false };
  throw new CommandError(`upload to ${key} did not complete (${result.outcome}); run the command again`);
}

/** A one-line progress bar on stderr, shown only on a terminal and for more than a few files. */
class Progress {
  private done = 0;
  private readonly enabled: boolean;

  constructor(
    private readonly io: Io,
    private readonly total: number,
  ) {
    this.enabled = io.interactive && total > 5;
  }

  advance(): void {
    this.done++;
    if (!this.enabled) return;
    const width = 30;
    const filled = Math.round((this.done / this.total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${this.done}/${this.total}`);
  }

  clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
