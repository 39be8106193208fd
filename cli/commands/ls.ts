/** `strata ls`: the live set — blocks and segments, minus what a block has replaced. */
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { listLiveSet } from '../../lib/compact/live.js';
import { resolveStoreTarget } from '../context.js';
import { parseOptions, type Command } from '../usage.js';

export const lsCommand: Command = {
  name: 'ls',
  summary: 'list live blocks and segments (what a reader counts)',
  help: `Usage: strata ls [--tenant ID] [--replaced] [--json] [--bucket NAME] [--endpoint URL]

Lists blocks/ and segments/ and hides every object that a listed block names as a source,
so each sample is shown in exactly one place even while replaced sources await deletion.

Options:
  --tenant ID      only this tenant
  --replaced       also list the replaced objects still in the bucket
  --json           one JSON object
  --bucket NAME    bucket (default: $STRATA_BUCKET, else strata dev's)
  --endpoint URL   S3 endpoint (default: $AWS_ENDPOINT_URL, else strata dev's)`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      tenant: { type: 'string' },
      replaced: { type: 'boolean' },
      json: { type: 'boolean' },
      bucket: { type: 'string' },
      endpoint: { type: 'string' },
    });
    const { s3, bucket } = resolveStoreTarget(values);
    const set = await listLiveSet(new S3ObjectStore(s3, bucket), values.tenant);
    if (values.json === true) {
      io.out(JSON.stringify({ live: set.live.map((object) => ({ ...object.key, size: object.info.size })), replaced: set.replaced, unparsable: set.unparsable }, null, 2));
      return;
    }
    for (const { key, info } of set.live) {
      const kind = key.kind === 'block' ? `L${key.level}` : 'L0';
      io.out(`${kind}  ${String(info.size).padStart(10)}  ${info.lastModified?.toISOString() ?? ''}  ${key.key}`);
    }
    if (values.replaced === true) for (const key of set.replaced) io.out(`replaced          ${key}`);
    io.out(`${set.live.length} live object(s), ${set.replaced.length} replaced awaiting deletion${set.unparsable.length > 0 ? `, ${set.unparsable.length} with keys outside the layout (the tick quarantines them)` : ''}`);
  },
};
