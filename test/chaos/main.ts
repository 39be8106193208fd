/**
 * `npm run chaos`: the fault and bad-input campaigns from the command line (see --help and
 * docs/testing.md). Prints the figures at the end; exits 1 if any invariant was broken.
 */
import { parseArgs } from 'node:util';
import { jsonLogger } from '../../lib/log/logger.js';
import { prometheusBinary, installHint } from '../helpers/ingest-prometheus.js';
import { startChaosBackend, type BackendKind } from './backend.js';
import { ciSize, randomSeed, runFaultCampaign, runInputCampaign } from './campaigns.js';
import { invariantLines } from './figures.js';

const usage = `Usage: npm run chaos -- [options]

Runs the chaos campaigns against the whole pipeline in this process, on the embedded stack:
  faults   random workloads with random faults (crashes at any step of ingest, planner, compactor and
           tick; S3 and SQS errors; lost, duplicated and reordered deliveries; concurrent invocations;
           visibility timeouts running out mid-job; receiver 5xx, 429, timeouts and outages), run to
           quiescence, then every invariant of DESIGN.md checked;
  inputs   bad requests (bit flips, truncation, huge lengths, invalid labels, compression bombs, bad
           headers) against ingest, and bad segment files dropped among good data through the pipeline.

Options:
  --campaign faults|inputs|both  which campaign (default both)
  --seeds N                      fault campaign: how many seeds (default ${ciSize.seeds})
  --first S                      fault campaign: the first seed (default random, printed)
  --seed S                       fault campaign: only seed S (a replay)
  --trace                        print the trace of every seed or world run (use with --seed or --world)
  --store in-process|http        reach the embedded stack in process (default) or over HTTP through the functions' store
  --prometheus                   the full run's receiver: a real Prometheus 2.42 (${prometheusBinary() ?? 'not found'}); it must refuse nothing
  --prometheus-sample F          with --prometheus: the share of seeds whose counters are queried from it (default 0.1)
  --requests N                   input campaign: bad requests (default ${ciSize.requests})
  --files N                      input campaign: bad segment files (default ${ciSize.files})
  --input-seed S                 input campaign: its seed (default random, printed)
  --world W                      input campaign: only the file world W (a replay)
  --minutes M                    start no new seed or batch after M minutes; the figures are of what ran
  --verbose                      the pipeline's logs on stderr
  --help                         this text

Exit status: 0 when every invariant held, 1 when one was broken, 2 for a usage error.
A failed seed prints its violations, the faults applied and the command that replays it; its whole
trace is also written to .strata/chaos/.`;

async function main(): Promise<number> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        campaign: { type: 'string', default: 'both' },
        seeds: { type: 'string' },
        first: { type: 'string' },
        seed: { type: 'string' },
        trace: { type: 'boolean', default: false },
        store: { type: 'string', default: 'in-process' },
        prometheus: { type: 'boolean', default: false },
        'prometheus-sample': { type: 'string', default: '0.1' },
        requests: { type: 'string' },
        files: { type: 'string' },
        'input-seed': { type: 'string' },
        world: { type: 'string' },
        minutes: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const number = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a non-negative number, got ${JSON.stringify(text)}`);
    return value;
  };
  const campaign = values.campaign;
  if (!['faults', 'inputs', 'both'].includes(campaign)) throw new UsageError(`--campaign must be faults, inputs or both, got ${JSON.stringify(campaign)}`);
  if (values.store !== 'in-process' && values.store !== 'http') throw new UsageError(`--store must be in-process or http, got ${JSON.stringify(values.store)}`);
  const store = values.store as BackendKind;
  const budgetMs = values.minutes === undefined ? undefined : number('minutes', values.minutes, 0) * 60_000;
  const logger = values.verbose ? jsonLogger({ level: 'debug', write: (line) => process.stderr.write(line + '\n') }) : undefined;
  const progress = (line: string) => console.error(`[chaos] ${line}`);

  const backend = await startChaosBackend(store);
  let failed = false;
  try {
    if (campaign !== 'inputs' && (values.world === undefined || campaign === 'faults')) {
      let prometheus: { binary: string; sample: number } | undefined;
      if (values.prometheus) {
        const binary = prometheusBinary();
        if (binary === undefined) throw new UsageError(`--prometheus: Prometheus not found; ${installHint}`);
        prometheus = { binary, sample: number('prometheus-sample', values['prometheus-sample'], 0.1) };
      }
      const first = values.seed !== undefined ? number('seed', values.seed, 0) : number('first', values.first, randomSeed());
      const count = values.seed !== undefined ? 1 : number('seeds', values.seeds, ciSize.seeds);
      const seeds = Array.from({ length: count }, (_, i) => first + i);
      console.log(`fault campaign: seeds ${first}..${first + count - 1} (${store} store${prometheus === undefined ? ', strict in-process receiver' : ', Prometheus 2.42 receiver'})`);
      const started = Date.now();
      const cpu = process.cpuUsage();
      const figures = await runFaultCampaign({
        backend,
        seeds,
        ...(budgetMs === undefined ? {} : { budgetMs }),
        ...(prometheus === undefined ? {} : { prometheus }),
        ...(logger === undefined ? {} : { logger }),
        ...(values.trace ? { onSeed: (report) => console.log([`-- trace of seed ${report.seed} (calls digest ${report.digest})`, ...report.trace].join('\n')) } : {}),
        progress,
      });
      const used = process.cpuUsage(cpu);
      console.log(figures.lines(Date.now() - started, (used.user + used.system) / 1000).join('\n'));
      failed ||= figures.failed.length > 0;
    }
    if (campaign !== 'faults' && values.seed === undefined) {
      const seed = number('input-seed', values['input-seed'], randomSeed());
      const world = values.world === undefined ? undefined : number('world', values.world, 0);
      const requests = world === undefined ? number('requests', values.requests, ciSize.requests) : 0;
      const files = number('files', values.files, ciSize.files);
      console.log(world === undefined ? `input campaign: input seed ${seed}, ${requests} request(s), ${files} file(s)` : `input campaign: world ${world}, ${files} file(s)`);
      const started = Date.now();
      const cpu = process.cpuUsage();
      const figures = await runInputCampaign({
        backend,
        seed,
        requests,
        files,
        ...(world === undefined ? {} : { world }),
        ...(budgetMs === undefined ? {} : { budgetMs }),
        ...(logger === undefined ? {} : { logger }),
        ...(values.trace ? { onWorld: (report) => console.log([`-- trace of world ${report.seed}`, ...report.trace].join('\n')) } : {}),
        progress,
      });
      const used = process.cpuUsage(cpu);
      console.log(figures.lines(Date.now() - started, (used.user + used.system) / 1000).join('\n'));
      failed ||= figures.violations > 0;
    }
    console.log(invariantLines().join('\n'));
  } finally {
    await backend.stop();
  }
  console.log(failed ? 'RESULT: invariants broken (see above)' : 'RESULT: every invariant held');
  return failed ? 1 : 0;
}

class UsageError extends Error {
  override name = 'UsageError';
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n(npm run chaos -- --help)`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
