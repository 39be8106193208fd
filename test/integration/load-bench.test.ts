/**
 * A smoke run of `npm run bench:load` at a tiny size: the three processes start, the generator's
 * samples go through the whole pipeline, the loss check finds every one of them, and the report,
 * the cost model and the plot come out. Throughput and lag targets are not asserted here (timing
 * belongs to the benchmark itself, on a machine shared with other tests).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const out = mkdtempSync(join(tmpdir(), 'strata-load-bench-'));
after(() => rmSync(out, { recursive: true, force: true }));

interface Summary {
  rows: unknown[];
  loss: { acknowledgedSamples: number; found: number; missing: number; duplicates: number; foreign: number; wrongValues: number; liveSegments: number };
  failures: string[];
  costPerMillion: { total: number };
}

test('bench:load at 60,000 samples a minute for 6 s: no loss, a report, a cost table and a plot', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'test/bench/load.bench.ts', '--minutes', '0.1', '--rate', '60000', '--series-per-request', '500', '--tick-seconds', '2', '--out', out],
      { env: { ...process.env, STRATA_L0_MAX_AGE_SECONDS: '2' }, timeout: 110_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr }),
    );
  });

  assert.ok(code === 0 || code === 1, `exit code ${code} (3: the run failed)\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
  assert.equal(code === 0, summary.failures.length === 0, 'the exit code says whether a target was missed');
  assert.equal(summary.loss.acknowledgedSamples, 6000, stdout);
  assert.deepEqual(
    { found: summary.loss.found, missing: summary.loss.missing, duplicates: summary.loss.duplicates, foreign: summary.loss.foreign, wrong: summary.loss.wrongValues, segments: summary.loss.liveSegments },
    { found: 6000, missing: 0, duplicates: 0, foreign: 0, wrong: 0, segments: 0 },
  );
  assert.ok(!summary.failures.some((failure) => failure.startsWith('loss')), summary.failures.join('\n'));
  assert.equal(summary.rows.length, 1);
  assert.ok(summary.costPerMillion.total > 0);
  assert.match(stdout, /cost per million samples/);
  assert.match(stdout, /series\/request/);
  assert.match(readFileSync(join(out, 'load.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
});
