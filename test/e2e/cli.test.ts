/**
 * The quick start, through the real CLI processes: `strata dev` serves the stack, a segment made by
 * `strata segment build` and dropped with `strata put` gives one S3 event on the events queue, and
 * `strata inspect` reads it back from the bucket.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

describe('strata CLI against strata dev', () => {
  let cwd: string;
  let dev: ChildProcess;
  let devFile: DevFile;
  let clients: LocalClients;

  before(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'strata-cli-'));
    dev = spawn(process.execPath, [strataBin, 'dev', '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const devPath = join(cwd, '.strata', 'dev.json');
    for (let waited = 0; !existsSync(devPath); waited += 100) {
      if (waited > 30_000 || dev.exitCode !== null) throw new Error(`strata dev did not start:\n${output}`);
      await sleep(100);
    }
    devFile = JSON.parse(readFileSync(devPath, 'utf8')) as DevFile;
    clients = localClients(devFile.endpoint);
    // The notification configuration's s3:TestEvent, sent once at bootstrap.
    const first = await receiveAll(clients.sqs, devFile.queues.events.url, 2);
    assert.deepEqual(first.map((m) => JSON.parse(m.Body!).Event), ['s3:TestEvent']);
  });

  after(async () => {
    destroyClients(clients);
    dev.kill('SIGINT');
    await new Promise((done) => dev.once('exit', done));
    assert.equal(existsSync(join(cwd, '.strata', 'dev.json')), false, 'strata dev removes its dev.json when it stops');
    rmSync(cwd, { recursive: true, force: true });
  });

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
