/**
 * Running the two campaigns over many seeds, for the CLI (main.ts) and the CI tests: seeds in
 * order, figures summed, a replay command for each failure, an optional time budget.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Logger } from '../../lib/log/logger.js';
import { PrometheusApi } from '../helpers/e2e-prometheus.js';
import { startPrometheus } from '../helpers/ingest-prometheus.js';
import type { BackendKind, ChaosBackend } from './backend.js';
import { Dice } from './dice.js';
import { runFaultSeed, type FaultCampaignContext, type SeedReport } from './fault-campaign.js';
import { FaultFigures, InputFigures } from './figures.js';
import { BadRequests, newRequestResults, runFileWorld, tryBadRequests, type FileWorldReport } from './input-campaign.js';

/** The campaigns' size in CI, and `npm run chaos`'s defaults. */
export const ciSize = { seeds: 200, requests: 3000, files: 100 };

/** A first seed or input seed for a run that explores new ground; it is printed so that it can be replayed. */
export function randomSeed(): number {
  return 1 + Math.floor(Math.random() * 1_000_000_000);
}

export interface FaultCampaignOptions {
  backend: ChaosBackend;
  seeds: readonly number[];
  /** Stop starting seeds after this long. */
  budgetMs?: number;
  /** A real Prometheus 2.42 binary: exports go to it, and a sample of seeds is queried. */
  prometheus?: { binary: string; sample: number };
  logger?: Logger;
  /** Called with each seed's report (its trace, for --trace). */
  onSeed?: (report: SeedReport) => void;
  progress?: (line: string) => void;
}

export async function runFaultCampaign(options: FaultCampaignOptions): Promise<FaultFigures> {
  const figures = new FaultFigures();
  const started = Date.now();
  const context = campaignContext(options);
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  if (options.prometheus !== undefined) {
    // Every seed's clock starts at the same moment, and its records may reach Prometheus hours of
    // simulated time after another shard's (the clock packs outages and pauses into a seed). Its
    // head refuses, as "out of bounds", a sample more than an hour older than the newest sample of
    // any series; an out-of-order window lets those in. A series' own order and conflicts are still
    // checked on the wire (receiver.ts), and another value at a timestamp is still Prometheus' 400.
    prometheus = await startPrometheus(options.prometheus.binary, {
      config: 'global:\n  scrape_interval: 1h\nstorage:\n  tsdb:\n    out_of_order_time_window: 30d\nscrape_configs: []\n',
      extraArgs: ['--web.enable-remote-write-receiver'],
    });
    const sample = options.prometheus.sample;
    // Decided by the seed alone, so that replaying one seed queries Prometheus as the full run did.
    const query = (seed: number) => new Dice(seed, 'prometheus-sample').chance(sample);
    context.prometheus = { writeUrl: `${prometheus.url}/api/v1/write`, api: new PrometheusApi(prometheus.url), query };
  }
  try {
    for (const [index, seed] of options.seeds.entries()) {
      if (options.budgetMs !== undefined && Date.now() - started > options.budgetMs) {
        options.progress?.(`time budget spent after ${index} of ${options.seeds.length} seeds`);
        break;
      }
      const report = await runFaultSeed(context, seed);
      options.onSeed?.(report);
      figures.add(report, replayCommand(options.backend.kind, `--campaign faults --seed ${seed}${options.prometheus === undefined ? '' : ' --prometheus'}`));
      if (report.violations.length > 0) saveTrace(`faults-${seed}`, report.trace);
      if ((index + 1) % 500 === 0) options.progress?.(`${index + 1} seeds, ${figures.failed.length} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await prometheus?.stop();
  }
  return figures;
}

/** The command that replays one seed or file world (`target`) on the store the run used, with its trace. */
function replayCommand(store: BackendKind, target: string): string {
  return `npm run chaos -- ${target}${store === 'in-process' ? '' : ` --store ${store}`} --trace`;
}

function campaignContext(options: { backend: ChaosBackend; logger?: Logger }): FaultCampaignContext {
  return { backend: options.backend, ...(options.logger === undefined ? {} : { logger: options.logger }) };
}

export interface InputCampaignOptions {
  backend: ChaosBackend;
  seed: number;
  requests: number;
  files: number;
  filesPerWorld?: number;
  requestsPerWorld?: number;
  /** Run only this world (a replay). */
  world?: number;
  budgetMs?: number;
  logger?: Logger;
  onWorld?: (report: FileWorldReport) => void;
  progress?: (line: string) => void;
}

export async function runInputCampaign(options: InputCampaignOptions): Promise<InputFigures> {
  const figures = new InputFigures();
  const started = Date.now();
  const filesPerWorld = options.filesPerWorld ?? 50;
  const requestsPerWorld = options.requestsPerWorld ?? 10;
  const context = campaignContext(options);
  const runWorld = async (world: number, files: number) => {
    const report = await runFileWorld(context, world, files, requestsPerWorld);
    options.onWorld?.(report);
    figures.addWorld(report, replayCommand(options.backend.kind, `--campaign inputs --world ${world} --files ${files}`));
    if (report.violations.length > 0) saveTrace(`inputs-world-${world}`, report.trace);
  };
  if (options.world !== undefined) {
    await runWorld(options.world, options.files);
    return figures;
  }
  const overBudget = () => options.budgetMs !== undefined && Date.now() - started > options.budgetMs;
  // Files first (the pipeline part, a few minutes), then requests as long as the budget lasts.
  for (let world = 0, left = options.files; left > 0 && !overBudget(); world++, left -= filesPerWorld) {
    await runWorld(options.seed + world, Math.min(filesPerWorld, left));
    if ((world + 1) % 20 === 0) options.progress?.(`${world + 1} file worlds, ${figures.failed.length} failed, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const results = newRequestResults();
  figures.requests = results;
  const source = new BadRequests(options.seed);
  // In slices, so that a budget or a progress line can come in between.
  const slice = 20_000;
  for (let done = 0; done < options.requests && !overBudget(); done += slice) {
    await tryBadRequests(source, Math.min(slice, options.requests - done), results);
    if (done + slice < options.requests) options.progress?.(`${done + slice} bad requests, ${results.violations.length} violation(s), ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  if (overBudget()) options.progress?.('time budget spent: the figures are of what ran');
  return figures;
}

/** A failing seed's whole trace, kept in .strata/chaos/ next to the printed replay command. */
function saveTrace(name: string, trace: readonly string[]): void {
  try {
    mkdirSync('.strata/chaos', { recursive: true });
    writeFileSync(`.strata/chaos/${name}.trace`, trace.join('\n') + '\n');
  } catch {
    // The printed replay command is enough.
  }
}
