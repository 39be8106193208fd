/**
 * A real Prometheus 2.42 for the ingest tests and benchmark: found on PATH or /usr/bin, started
 * directly with a temporary config and data directory on a free port, stopped by the caller.
 * `cpuSeconds()` reads its user+system CPU from /proc/<pid>/stat.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export const installHint = 'install it with `apt-get update && apt-get install -y prometheus` (Prometheus 2.42; the binary is /usr/bin/prometheus)';

export function prometheusBinary(): string | undefined {
  for (const candidate of [process.env['PROMETHEUS_BIN'], '/usr/bin/prometheus', '/usr/local/bin/prometheus']) {
    if (candidate !== undefined && candidate !== '' && existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found !== '' ? found : undefined;
}

/**
 * The binary, or: under CI=true a failed test (a missing peer must not pass silently in CI);
 * otherwise a loud skip saying how to install it. Returns undefined when the test was skipped.
 */
export function requirePrometheus(t: TestContext): string | undefined {
  const binary = prometheusBinary();
  if (binary !== undefined) return binary;
  const message = `Prometheus not found: ${installHint}`;
  if (process.env['CI'] === 'true') throw new Error(message);
  console.warn(`SKIPPED: ${message}`);
  t.skip(message);
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningPrometheus {
  url: string;
  pid: number;
  process: ChildProcess;
  /** Everything it printed (it logs to stderr). */
  output(): string;
  /** User + system CPU seconds it has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

/** `config` may be a function of the port Prometheus will listen on (to scrape itself). */
export async function startPrometheus(binary: string, options: { config: string | ((port: number) => string); extraArgs?: string[] }): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-prometheus-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), typeof options.config === 'string' ? options.config : options.config(port));
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    pid: child.pid!,
    process: child,
    output: () => output,
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop,
  };
}

const clockTicks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process from /proc/<pid>/stat, in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the full line are utime and stime; here field 3 is index 0.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Peak resident set size of a process (VmHWM), in bytes. */
export function processPeakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? 0 : Number(match[1]) * 1024;
}
