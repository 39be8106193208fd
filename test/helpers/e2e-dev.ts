/**
 * `strata dev` as a child process (the real CLI: embedded S3/SQS, ingest server, planner and
 * compactor runners, tick), started in a fresh folder; ready once it has written .strata/dev.json.
 * Same approach as test/e2e/cli.test.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DevFile } from '../../cli/context.js';
import { createS3Client } from '../../lib/aws/clients.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';

export interface RunningDev {
  cwd: string;
  devFile: DevFile & { ingestUrl: string };
  /** The dev stack's bucket, through the AWS SDK. */
  store: S3ObjectStore;
  /** Everything it printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function startDev(options: { args: string[]; env: Record<string, string>; files?: Record<string, string> }): Promise<RunningDev> {
  const cwd = mkdtempSync(join(tmpdir(), 'strata-e2e-dev-'));
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(cwd, name), text);
  const child = spawn(process.execPath, [resolve('bin/strata.js'), 'dev', '--port', '0', '--ingest-port', '0', ...options.args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const devPath = join(cwd, '.strata', 'dev.json');
  for (let waited = 0; !existsSync(devPath); waited += 100) {
    if (waited > 30_000 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`strata dev did not start:\n${output}`);
    }
    await sleep(100);
  }
  const devFile = JSON.parse(readFileSync(devPath, 'utf8')) as DevFile;
  if (devFile.ingestUrl === undefined) throw new Error('strata dev wrote no ingestUrl');
  const s3 = createS3Client({ ...devFile.env });
  return {
    cwd,
    devFile: devFile as DevFile & { ingestUrl: string },
    store: new S3ObjectStore(s3, devFile.bucket),
    output: () => output,
    async stop() {
      s3.destroy();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}
