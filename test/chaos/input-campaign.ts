/**
 * The bad-input campaign (DESIGN.md invariant 6: bad input never blocks the pipeline).
 *
 * Requests: valid remote-write, JSON and pprof pushes made bad (mutations.ts) go through the real
 * ingest handler (functions/ingest.ts, Lambda event in, result out) over an in-memory store, with
 * small body limits (`bombLimits`) so that bombs are cheap to refuse. Every answer must be a 2xx
 * whose segments all read back valid, or a 4xx with a message that stored nothing — never a 5xx,
 * never an exception.
 *
 * Files: worlds of the fault campaign, without faults, where a tenant's good pushes meet segment
 * files made bad dropped among them (same tenant, same shards, same jobs) and bad requests for
 * other tenants. After quiescence every bad file is in quarantine with a report and nothing else
 * is; every good row is in exactly one final block, the tenant's rule counters equal the ground
 * truth of its good pushes, and whatever ingest accepted from the bad requests is compacted too.
 */
import { ingestConfig } from '../../lib/ingest/config.js';
import type { IngestRequest } from '../../lib/ingest/contract.js';
import { silentLogger } from '../../lib/log/logger.js';
import { buildSegments } from '../../lib/segment/build.js';
import { decodeFile } from '../../lib/segment/format.js';
import { parseDataKey } from '../../lib/segment/keys.js';
import { createIngestHandler } from '../../functions/ingest.js';
import { makePhase, phaseRequests, phaseSpanMs, truthOf } from '../helpers/e2e-data.js';
import { MemoryStore, lambdaEvent, storedSegments } from '../helpers/ingest-fixtures.js';
import { series as seriesOf } from '../helpers/segments.js';
import { Clients } from './clients.js';
import { Dice } from './dice.js';
import { defaultStartMs, runWorld, type FaultCampaignContext, type SeedReport } from './fault-campaign.js';
import { checkExports, checkLineage, checkRows, storedRows, truthSeriesOf } from './invariants.js';
import { bombLimits, fileMutations, mutateFile, mutateRequest, requestMutations, type Endpoint, type FileMutation, type RequestMutation } from './mutations.js';
import { planSeed, type DropPlan, type PushPlan, type SeedPlan } from './plan.js';
import { World } from './world.js';

const nowMs = defaultStartMs;

export interface RequestResults {
  tried: Map<string, number>;
  /** By status, e.g. "400". */
  outcomes: Map<string, number>;
  violations: string[];
}

export function newRequestResults(): RequestResults {
  return { tried: new Map(), outcomes: new Map(), violations: [] };
}

/** Good requests to damage, per endpoint. */
function baseRequests(seed: number): Map<Endpoint, IngestRequest[]> {
  const bases = new Map<Endpoint, IngestRequest[]>();
  for (let index = 0; index < 4; index++) {
    for (const { endpoint, request } of phaseRequests(`bad-${seed}`, makePhase(index, seed, nowMs - 120_000 + index * 2 * phaseSpanMs))) {
      bases.set(endpoint, [...(bases.get(endpoint) ?? []), request]);
    }
  }
  return bases;
}

/** The bad requests of a seed, in order: request i of a seed (and stream) is always the same. */
export class BadRequests {
  private readonly dice: Dice;
  private readonly bases: Map<Endpoint, IngestRequest[]>;
  private readonly endpoints: Endpoint[];
  private readonly kinds: readonly RequestMutation[];
  private index = 0;

  /** `stream` names the seed's dice stream; `without`, a kind of damage never drawn. */
  constructor(readonly seed: number, options: { stream?: string; without?: RequestMutation } = {}) {
    this.dice = new Dice(seed, options.stream ?? 'requests');
    this.bases = baseRequests(seed);
    this.endpoints = [...this.bases.keys()];
    this.kinds = requestMutations.filter((kind) => kind !== options.without);
  }

  next(): { index: number; endpoint: Endpoint; kind: RequestMutation; request: IngestRequest } {
    const endpoint = this.dice.pick(this.endpoints);
    const base = this.dice.pick(this.bases.get(endpoint)!);
    const kind = this.dice.pick(this.kinds);
    return { index: this.index++, endpoint, kind, request: mutateRequest(this.dice, endpoint, base, kind, nowMs) };
  }
}

/** Sends the next `count` bad requests of `source` to the ingest handler and checks each answer. */
export async function tryBadRequests(source: BadRequests, count: number, results: RequestResults = newRequestResults()): Promise<RequestResults> {
  const config = ingestConfig({ shardCount: 4, limits: bombLimits });
  for (let sent = 0; sent < count; sent++) {
    const { index, endpoint, kind, request } = source.next();
    const what = `${endpoint}/${kind}`;
    results.tried.set(what, (results.tried.get(what) ?? 0) + 1);
    const problem = await checkRequest(request, config);
    results.outcomes.set(problem.status, (results.outcomes.get(problem.status) ?? 0) + 1);
    if (problem.violation !== undefined) results.violations.push(`invariant 6: request ${index} of input seed ${source.seed} (${what}): ${problem.violation}`);
  }
  return results;
}

async function checkRequest(request: IngestRequest, config: ReturnType<typeof ingestConfig>): Promise<{ status: string; violation?: string }> {
  const store = new MemoryStore();
  const handler = createIngestHandler({ deps: { store, clock: () => nowMs, logger: silentLogger, config } });
  let result;
  try {
    result = await handler(lambdaEvent(request));
  } catch (error) {
    return { status: 'exception', violation: `the handler threw ${(error as Error).stack ?? String(error)}` };
  }
  const status = result.statusCode ?? 0;
  const message = String(result.body ?? '').trim();
  if (status >= 500) return { status: String(status), violation: `answered ${status}: ${message}` };
  if (status >= 400) {
    if (message === '') return { status: String(status), violation: `refused with ${status} but no message` };
    if (store.objects.size > 0) return { status: String(status), violation: `refused with ${status} but stored ${store.objects.size} object(s)` };
    return { status: String(status) };
  }
  if (status < 200 || status >= 300) return { status: String(status), violation: `answered ${status}` };
  try {
    storedSegments(store);
  } catch (error) {
    return { status: String(status), violation: `acknowledged, but stored a segment that does not read back: ${(error as Error).message}` };
  }
  return { status: String(status) };
}

// ---- files, through the pipeline -----------------------------------------------------------------

export interface FileWorldReport extends SeedReport {
  /** Bad files by mutation kind. */
  files: Map<string, number>;
  /** Files that are bad (must be quarantined) and those still valid after the damage (must be compacted). */
  quarantineExpected: number;
  validAfterDamage: number;
  /** Ingest's answers to the bad requests of this world, by status. */
  requestOutcomes: Map<string, number>;
}

/** One world: a tenant's good pushes, `files` bad segment files among them, `requests` bad requests for other tenants. */
export async function runFileWorld(context: FaultCampaignContext, seed: number, files: number, requests: number): Promise<FileWorldReport> {
  const base = planSeed(seed, nowMs);
  const tenant = base.tenants[0]!;
  const dice = new Dice(seed, 'bad-files');
  const drops: DropPlan[] = [];
  const kinds = new Map<string, number>();
  for (let index = 0; index < files; index++) {
    const kind = dice.pick(fileMutations);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    drops.push(badFile(dice, tenant, base.settings.shardCount, index, kind));
  }
  const bad = badPushes(seed, requests);
  const plan: SeedPlan = {
    ...base,
    tenants: [tenant],
    pushes: dice.shuffle([...base.pushes.filter((push) => push.tenant === tenant), ...bad]),
    drops,
    settings: { ...base.settings, faults: { crash: 0, storage: 0, send: 0, lostNotification: 0, duplicateNotification: 0, receiver: 0, duplicateDelivery: 0, clientRetry: 0 } },
  };
  const outcomes = new Map<string, number>();
  const report = await runWorld(context, plan, { faults: false, quarantined: badKeys(plan) }, async (world, clients, checked) => {
    for (const [status, count] of clients.badInputOutcomes) outcomes.set(status, count);
    await checkFileWorld(world, plan, clients, checked);
  });
  return {
    ...report,
    files: kinds,
    quarantineExpected: drops.filter((drop) => !drop.valid).length,
    validAfterDamage: drops.filter((drop) => drop.valid).length,
    requestOutcomes: outcomes,
  };
}

/** A segment file of the tenant (series no rule counts), damaged; valid or not by the reader's verdict. */
function badFile(dice: Dice, tenant: string, shardCount: number, index: number, kind: FileMutation): DropPlan {
  const at = nowMs - 400_000 + index * 20;
  const series = Array.from({ length: dice.between(1, 3) }, (_, part) =>
    seriesOf('chaos_input_file', { file: String(index), part: String(part) }, Array.from({ length: dice.between(1, 4) }, (_, i): [number, number] => [at + i, index + i])),
  );
  const [segment] = buildSegments(series, { tenant, shardCount, createdBy: 'strata-chaos-user', createdAtMs: at });
  const { header, series: decoded } = decodeFile(segment!.bytes);
  const mutated = mutateFile(dice, { key: segment!.key, identity: header, series: decoded }, kind);
  let valid: ReturnType<typeof decodeFile> | undefined;
  try {
    const key = parseDataKey(mutated.key);
    valid = key.kind === 'segment' ? decodeFile(mutated.bytes, { expectKey: key }) : undefined;
  } catch {
    valid = undefined;
  }
  return { tenant, key: mutated.key, bytes: mutated.bytes, series: valid?.series.map(truthSeriesOf) ?? [], mutation: kind, valid: valid !== undefined };
}

/** Bad requests of other tenants, pushed among the world's good ones. */
function badPushes(seed: number, count: number): PushPlan[] {
  // No bombs: they are sized for bombLimits, and the world's ingest runs with the default limits.
  const source = new BadRequests(seed, { stream: 'world-requests', without: 'compression-bomb' });
  return Array.from({ length: count }, () => {
    const { index, endpoint, kind, request } = source.next();
    return { tenant: `bad-${seed}`, label: `bad ${endpoint}/${kind} #${index + 1}`, request, expected: 0, series: [], mutation: kind };
  });
}

/** The keys of the bad files: each must end in quarantine. */
function badKeys(plan: SeedPlan): Set<string> {
  return new Set(plan.drops.filter((drop) => !drop.valid).map((drop) => drop.key));
}

async function checkFileWorld(world: World, plan: SeedPlan, clients: Clients, report: SeedReport): Promise<void> {
  const tenant = plan.tenants[0]!;
  const finalLevel = plan.settings.limits.levels.length;
  report.violations.push(...checkLineage(world, finalLevel));
  // The good tenant: its pushes and the files still valid, exactly once; its counters exact.
  const rows = await checkRows(world.store, tenant, clients.expectation(tenant), 'at the end');
  report.violations.push(...rows.violations);
  report.samplesChecked += rows.checked;
  const exports = await checkExports(world, tenant, truthOf(clients.series(tenant)), { checkValues: true });
  report.violations.push(...exports.violations);
  report.countersChecked += exports.counters;
  // Tenants of the bad requests: whatever ingest stored from them, exactly once.
  const others = new Map<string, Set<string>>();
  const dropped = new Set(plan.drops.map((drop) => drop.key));
  for (const [key, bytes] of world.log.segments) {
    const owner = key.split('/')[1]!;
    if (owner === tenant || dropped.has(key)) continue;
    const set = others.get(owner) ?? new Set<string>();
    others.set(owner, set);
    try {
      for (const one of decodeFile(bytes, { expectKey: parseDataKey(key) }).series) for (const row of storedRows(one)) set.add(row);
    } catch (error) {
      report.violations.push(`invariant 6: ingest acknowledged ${key}, which does not read back: ${(error as Error).message}`);
    }
  }
  for (const [owner, expected] of others) {
    const found = await checkRows(world.store, owner, { exactlyOnce: expected, atMostOnce: new Set() }, 'at the end');
    report.violations.push(...found.violations);
    report.samplesChecked += found.checked;
    report.violations.push(...(await checkExports(world, owner, new Map(), { checkValues: false })).violations);
  }
  report.violations.push(...world.receiver.view.violations.map((violation) => `invariant 4: the receiver was sent ${violation.series}: ${violation.problem}`));
}
