/** `strata inspect`: a segment's or block's header and a summary of its series. */
import { readFileSync } from 'node:fs';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { SegmentFormatError } from '../../lib/segment/errors.js';
import { FileReader, formatLabels } from '../../lib/segment/format.js';
import { parseDataKey, type DataKey } from '../../lib/segment/keys.js';
import { resolveStoreTarget } from '../context.js';
import { CommandError, UsageError, integerOption, parseOptions, type Command } from '../usage.js';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'print a segment or block: header and series',
  help: `Usage: strata inspect [--series N] [--json] [--endpoint URL] FILE | s3://BUCKET/KEY

Verifies the file (checksums, series order, header against content and, for
s3:// objects, against the key) and prints its header and its first N series with
their sample counts and time ranges.

Options:
  --series N       how many series to list (default 20; 0 lists none)
  --json           print one JSON object instead of text
  --endpoint URL   S3 endpoint for s3:// (default: $AWS_ENDPOINT_URL, else strata dev's)`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      series: { type: 'string' },
      json: { type: 'boolean' },
      endpoint: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give one file path or s3://BUCKET/KEY');
    const limit = integerOption('series', values.series, 20);
    const target = positionals[0]!;
    const { bytes, expectKey } = await load(target, values.endpoint);
    let reader: FileReader;
    const listed: Array<{ series: string; samples: number; stacks: number; from: number; to: number }> = [];
    let seriesSeen = 0;
    try {
      reader = FileReader.open(bytes, { source: target, ...(expectKey === undefined ? {} : { expectKey }) });
      for (const one of reader.series()) {
        seriesSeen++;
        if (listed.length >= limit) continue;
        const times = [...one.samples, ...one.stacks].map((s) => s.timestamp);
        listed.push({ series: formatLabels(one.labels), samples: one.samples.length, stacks: one.stacks.length, from: Math.min(...times), to: Math.max(...times) });
      }
    } catch (error) {
      if (error instanceof SegmentFormatError) throw new CommandError(`invalid file: ${error.message}`);
      throw error;
    }
    const { header } = reader;
    if (values.json === true) {
      io.out(JSON.stringify({ header, series: listed, seriesListed: listed.length }, null, 2));
      return;
    }
    const iso = (ms: number) => new Date(ms).toISOString();
    io.out(`${target}
  kind        ${header.kind} (level ${header.level})
  id          ${header.id}
  tenant      ${header.tenant}
  shard       ${header.shard} of ${header.shardCount}
  time        ${iso(header.minTimeMs)} .. ${iso(header.maxTimeMs)}
  created     ${iso(header.createdAtMs)} by ${header.createdBy}
  series      ${header.seriesCount}
  samples     ${header.sampleCount}
  chunks      ${header.chunkCount} (${header.bodyStoredBytes} bytes stored, ${header.bodyDecodedBytes} decoded)`);
    if (header.sources.length > 0) io.out(`  sources     ${header.sources.join('\n              ')}`);
    for (const row of listed) {
      const stacks = row.stacks > 0 ? `, ${row.stacks} stacks` : '';
      io.out(`  ${row.series}  ${row.samples} samples${stacks}, ${iso(row.from)} .. ${iso(row.to)}`);
    }
    if (seriesSeen > listed.length) io.out(`  … ${seriesSeen - listed.length} more series (--series N to list more)`);
  },
};

async function load(target: string, endpoint: string | undefined): Promise<{ bytes: Uint8Array; expectKey?: DataKey }> {
  const s3Url = /^s3:\/\/([^/]+)\/(.+)$/.exec(target);
  if (s3Url === null) {
    if (target.startsWith('s3://')) throw new UsageError('an S3 location looks like s3://BUCKET/KEY');
    try {
      return { bytes: readFileSync(target) };
    } catch (error) {
      throw new CommandError(`cannot read ${target}: ${(error as Error).message}`);
    }
  }
  const [, bucket, key] = s3Url as unknown as [string, string, string];
  const { s3 } = resolveStoreTarget({ bucket, endpoint });
  const object = await new S3ObjectStore(s3, bucket).get(key);
  if (object === undefined) throw new CommandError(`s3://${bucket}/${key} does not exist (segments are deleted once a block replaces them)`);
  let expectKey: DataKey | undefined;
  try {
    expectKey = parseDataKey(key);
  } catch {
    expectKey = undefined; // not under segments/ or blocks/: inspect the content without a key check
  }
  return expectKey === undefined ? { bytes: object.body } : { bytes: object.body, expectKey };
}
