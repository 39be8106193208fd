/**
 * The quick start, through the real CLI processes: `strata dev` serves the stack, a segment made by
 * `strata segment build` and dropped with `strata put` gives one S3 event on the events queue, and
 * `strata inspect` reads it back from the bucket.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevFile } from '../../cli/context.js';
import { decodeEventKey } from '../../lib/segment/keys.js';
import { destroyClients, localClients, receiveAll, type LocalClients } from '../helpers/local-clients.js';

const strataBin = resolve('bin/strata.js');

function strata(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [strataBin, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Dev {
  cwd: string;
  devFile: DevFile;
  clients: LocalClients;
  stop(): Promise<void>;
}

/** Starts `strata dev` in a fresh folder and waits for its .strata/dev.json. */
async function startDev(args: string[], env: Record<string, string> = {}): Promise<Dev> {
  const cwd = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  const dev = spawn(process.execPath, [strataBin, 'dev', '--port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const devPath = join(cwd, '.strata', 'dev.json');
  for (let waited = 0; !existsSync(devPath); waited += 100) {
    if (waited > 30_000 || dev.exitCode !== null) throw new Error(`strata dev did not start:\n${output}`);
    await sleep(100);
  }
  const devFile = JSON.parse(readFileSync(devPath, 'utf8')) as DevFile;
  const clients = localClients(devFile.endpoint);
  return {
    cwd,
    devFile,
    clients,
    async stop() {
      destroyClients(clients);
      dev.kill('SIGINT');
      await new Promise((done) => dev.once('exit', done));
      assert.equal(existsSync(devPath), false, 'strata dev removes its dev.json when it stops');
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

describe('strata CLI against strata dev --stack-only', () => {
  let dev: Dev;
  let cwd: string;
  let devFile: DevFile;
  let clients: LocalClients;

  before(async () => {
    dev = await startDev(['--stack-only']);
    ({ cwd, devFile, clients } = dev);
    // The notification configuration's s3:TestEvent, sent once at bootstrap.
    const first = await receiveAll(clients.sqs, devFile.queues.events.url, 2);
    assert.deepEqual(first.map((m) => JSON.parse(m.Body!).Event), ['s3:TestEvent']);
  });

  after(() => dev.stop());

  it('builds, puts and inspects a segment; one event per segment put', async () => {
    writeFileSync(
      join(cwd, 'samples.ndjson'),
      '{"metric":"up","labels":{"job":"api"},"samples":[[1700000000000,1],[1700000015000,0]]}\n',
    );
    const built = strata(cwd, 'segment', 'build', '--tenant', 'team-a', '--shard-count', '1', '--out', 'segs', 'samples.ndjson');
    assert.equal(built.code, 0, built.stderr);
    const [file] = readdirSync(join(cwd, 'segs'));
    assert.match(file!, /^[0-9A-Z]{26}\.seg$/);

    const put = strata(cwd, 'put', join('segs', file!));
    assert.equal(put.code, 0, put.stderr);
    const key = `segments/team-a/0/${file}`;
    assert.match(put.stdout, new RegExp(`s3://${devFile.bucket}/${key}`));

    const events = await receiveAll(clients.sqs, devFile.queues.events.url, 2);
    assert.equal(events.length, 1);
    const [record] = JSON.parse(events[0]!.Body!).Records;
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(decodeEventKey(record.s3.object.key), key);

    const again = strata(cwd, 'put', join('segs', file!));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already there/);
    assert.deepEqual(await receiveAll(clients.sqs, devFile.queues.events.url, 1), [], 'a second put of the same file is a no-op');

    const inspected = strata(cwd, 'inspect', '--json', `s3://${devFile.bucket}/${key}`);
    assert.equal(inspected.code, 0, inspected.stderr);
    const report = JSON.parse(inspected.stdout);
    assert.equal(report.header.tenant, 'team-a');
    assert.equal(report.header.sampleCount, 2);
    assert.deepEqual(report.series.map((s: { series: string }) => s.series), ['up{job="api"}']);
  });

  it('reports bad input with exit codes 1 and 2 and a message', () => {
    writeFileSync(join(cwd, 'bad.seg'), 'not a segment');
    const bad = strata(cwd, 'put', 'bad.seg');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad.seg: not a valid segment file: .*bad magic/);

    const usage = strata(cwd, 'segment', 'build', '--shard-count', 'zero', 'x');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--shard-count must be a whole number/);

    const unknown = strata(cwd, 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);

    writeFileSync(join(cwd, 'bad.ndjson'), '{"labels":{"job":"x"},"timestamp":1,"value":1}\n');
    const badJson = strata(cwd, 'segment', 'build', 'bad.ndjson');
    assert.equal(badJson.code, 1);
    assert.match(badJson.stderr, /line 1: the series has no __name__ label/);
  });
});

describe('strata dev: the whole pipeline', () => {
  let dev: Dev;
  let cwd: string;
  let devFile: DevFile;

  before(async () => {
    // A short L0 age and tick, so that a push is compacted within seconds.
    dev = await startDev(['--ingest-port', '0', '--tick-seconds', '1'], { STRATA_L0_MAX_AGE_SECONDS: '1', STRATA_LOG_LEVEL: 'warn' });
    ({ cwd, devFile } = dev);
  });

  after(() => dev.stop());

  it('runs the pipeline: a push is compacted into a block that ls and status show', async () => {
    const now = Date.now();
    const response = await fetch(`${devFile.ingestUrl}/v1/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'x-scope-orgid': 'team-b' },
      body: `{"metric":"temperature","labels":{"room":"a"},"timestamp":${now},"value":21.5}\n`,
    });
    assert.equal(response.status, 200, await response.text());
    let listing: { live: Array<{ kind: string; level?: number; tenant: string }> } = { live: [] };
    for (let waited = 0; !listing.live.some((object) => object.kind === 'block'); waited += 500) {
      assert.ok(waited < 30_000, `no block after 30 s: ${JSON.stringify(listing)}`);
      await sleep(500);
      const ls = strata(cwd, 'ls', '--tenant', 'team-b', '--json');
      assert.equal(ls.code, 0, ls.stderr);
      listing = JSON.parse(ls.stdout);
    }
    assert.deepEqual(listing.live.map((object) => [object.kind, object.level]), [['block', 1]], 'the segment is hidden by the block that replaced it');
    const status = strata(cwd, 'status', '--tenant', 'team-b', '--json');
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.shards[0].pendingSegments, 0);
    assert.equal(report.shards[0].openJobs, 0);
    assert.equal(report.queues[devFile.queues.jobsDeadLetter.name].visible, 0);
  });
});
