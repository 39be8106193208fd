/** `strata status`: per shard, what is pending and how old; queue and dead-letter queue depths. */
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { queueDepth } from '../../lib/aws/sqs.js';
import { shardStatuses } from '../../lib/status/status.js';
import { resolveQueueTarget, resolveStoreTarget } from '../context.js';
import { parseOptions, type Command } from '../usage.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'show pending segments, open jobs, lag, exports and DLQ depths',
  help: `Usage: strata status [--tenant ID] [--json] [--bucket NAME] [--stage NAME] [--endpoint URL]

For every shard with a state object: pending segments and the age of the oldest, open jobs
(and how long since the oldest was dispatched), blocks waiting for the next level,
tombstones awaiting deletion, the age of the last job cut, the state's size, and export
records written but not delivered (with the last delivery error). Then the depth of the
events and jobs queues and of their dead-letter queues: a message in a DLQ failed
maxReceiveCount times and needs a look (aws sqs receive-message on the DLQ shows it).

Options:
  --tenant ID      only this tenant
  --json           one JSON object
  --bucket NAME    bucket (default: $STRATA_BUCKET, else strata dev's)
  --stage NAME     find the queues by name (strata-<stage>-…) instead of strata dev's
  --endpoint URL   S3/SQS endpoint (default: $AWS_ENDPOINT_URL, else strata dev's)`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      tenant: { type: 'string' },
      json: { type: 'boolean' },
      bucket: { type: 'string' },
      stage: { type: 'string' },
      endpoint: { type: 'string' },
    });
    const { s3, bucket } = resolveStoreTarget(values);
    const shards = await shardStatuses(new S3ObjectStore(s3, bucket), Date.now(), values.tenant);
    const { sqs, queues } = await resolveQueueTarget(values);
    const depths = Object.fromEntries(await Promise.all(Object.entries(queues).map(async ([name, url]) => [name, await queueDepth(sqs, url)] as const)));
    if (values.json === true) {
      io.out(JSON.stringify({ shards, queues: depths }, null, 2));
      return;
    }
    const age = (ms: number | null) => (ms === null ? '-' : ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`);
    const header = ['tenant/shard', 'pending', 'oldest', 'jobs', 'dispatched', 'waiting', 'tombstones', 'last job', 'state', 'exports undelivered'];
    const rows = shards.map((row) => [
      `${row.tenant}/${row.shard}`,
      String(row.pendingSegments),
      age(row.oldestPendingMs),
      String(row.openJobs),
      row.openJobs === 0 ? '-' : `${age(row.oldestDispatchMs)} ago${row.undispatchedJobs > 0 ? ` (${row.undispatchedJobs} unsent)` : ''}`,
      String(row.waitingBlocks),
      String(row.tombstones),
      age(row.lastJobMs),
      `${(row.stateBytes / 1024).toFixed(1)} KB`,
      row.exports.undelivered === 0 ? '0' : `${row.exports.undelivered}${row.exports.lastError ? ` (${row.exports.lastError.message})` : ''}`,
    ]);
    const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
    io.out(shards.length === 0 ? 'no shard state yet: nothing has been planned' : [line(header), ...rows.map(line)].join('\n'));
    io.out('');
    for (const [name, depth] of Object.entries(depths)) {
      const dlq = name.includes('-dlq');
      io.out(`${name.padEnd(32)} ${depth.visible} waiting, ${depth.inFlight} in flight${dlq && depth.visible + depth.inFlight > 0 ? '  ← failed messages: inspect them' : ''}`);
    }
  },
};
