/** `strata segment build`: JSON / NDJSON samples → segment files, one per shard. */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSegments } from '../../lib/segment/build.js';
import { SegmentError } from '../../lib/segment/errors.js';
import { SampleJsonError, parseSampleJson } from '../../lib/segment/json.js';
import { defaultTenant, maxShards, tenantProblem } from '../../lib/segment/keys.js';
import { defaultShardCount } from '../../lib/segment/labels.js';
import { CommandError, UsageError, integerOption, parseOptions, type Command } from '../usage.js';
import { strataVersion } from '../version.js';

export const segmentBuildCommand: Command = {
  name: 'segment build',
  summary: 'make segment files from JSON or NDJSON samples',
  help: `Usage: strata segment build [--tenant ID] [--shard-count N] [--out DIR] FILE|-

Reads samples as JSON (an array) or NDJSON (one record per line) from FILE, or from
standard input with "-", and writes one segment file per shard into DIR (default: the
current folder), named <ulid>.seg. The name is derived from the content: building the
same samples again gives the same file and key. Drop the files into the bucket with
\`strata put\` (or aws s3 cp to segments/<tenant>/<shard>/<ulid>.seg).

A record is one sample:
  {"labels": {"__name__": "up", "job": "api"}, "timestamp": 1700000000000, "value": 1}
or several samples of one series ("metric" may stand for labels.__name__):
  {"metric": "up", "labels": {"job": "api"}, "samples": [[1700000000000, 1], [1700000015000, 0]]}
Timestamps are integer milliseconds or RFC 3339 strings; values are numbers, "NaN", "+Inf", "-Inf".

Options:
  --tenant ID        tenant the samples belong to (default ${defaultTenant})
  --shard-count N    shards per tenant; must match the pipeline's STRATA_SHARD_COUNT
                     (default: $STRATA_SHARD_COUNT or ${defaultShardCount})
  --out DIR          folder for the segment files (default .)`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      tenant: { type: 'string' },
      'shard-count': { type: 'string' },
      out: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one input: a file, or - for standard input');
    const tenant = values.tenant ?? defaultTenant;
    const tenantIssue = tenantProblem(tenant);
    if (tenantIssue !== undefined) throw new UsageError(`--tenant: ${tenantIssue}`);
    const shardCount = integerOption('shard-count', values['shard-count'] ?? process.env.STRATA_SHARD_COUNT, defaultShardCount, 1, maxShards);
    const input = positionals[0]!;
    let text: string;
    try {
      text = readFileSync(input === '-' ? 0 : input, 'utf8');
    } catch (error) {
      throw new CommandError(`cannot read ${input}: ${(error as Error).message}`);
    }
    let series;
    try {
      series = parseSampleJson(text);
    } catch (error) {
      if (error instanceof SampleJsonError) throw new CommandError(`${input}: ${error.message}`);
      throw error;
    }
    const out = values.out ?? '.';
    mkdirSync(out, { recursive: true });
    let segments;
    try {
      segments = buildSegments(series, { tenant, shardCount, createdBy: `strata-cli/${strataVersion}`, createdAtMs: Date.now() });
    } catch (error) {
      if (error instanceof SegmentError) throw new CommandError(`${input}: ${error.message}`);
      throw error;
    }
    for (const segment of segments) {
      const path = join(out, `${segment.id}.seg`);
      writeFileSync(path, segment.bytes);
      io.out(`${path}  tenant=${tenant} shard=${segment.shard} series=${segment.seriesCount} samples=${segment.sampleCount}`);
    }
  },
};
