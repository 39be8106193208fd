/**
 * The fault campaign: one seed = one world (world.ts) with a workload and fault rates drawn from
 * the seed (plan.ts), run through a chaos phase, then left to quiesce without faults, then checked
 * against every invariant (invariants.ts).
 *
 * Chaos phase (the plan's steps, then on until the workload is in and the queues are empty): each
 * step picks, by weight, one of — a client push (ingest), a user dropping a
 * segment file, a planner invocation on a random batch of visible events (any order; maybe with an
 * event another planner is still handling), a compactor invocation on a visible job, a tick,
 * granting turns to waiting calls (this is where invocations overlap and crash), letting time pass
 * (seconds, or past the dispatch lease), a visibility timeout running out mid-job, the receiver
 * going down or coming back. Clients retry a push that failed, crashed or (sometimes) succeeded
 * without them seeing it, at once — as remote-write clients do; a retry that came minutes later,
 * after its segment was compacted and deleted, would be a new segment (DESIGN.md, "Ingest").
 *
 * Quiescence: faults off, every invocation finishes, clients finish, then rounds of "planners on
 * every event, compactors on every job, a tick", with the clock moved past every age, lease and
 * timeout between rounds, until nothing is left to do.
 */
import { truthOf } from '../helpers/e2e-data.js';
import type { PrometheusApi } from '../helpers/e2e-prometheus.js';
import type { Logger } from '../../lib/log/logger.js';
import type { ChaosBackend } from './backend.js';
import { Clients } from './clients.js';
import { checkExports, checkLineage, checkQuiescent, checkRows, compareTotals } from './invariants.js';
import { planSeed, type SeedPlan } from './plan.js';
import type { InvocationKind } from './scheduler.js';
import { World } from './world.js';

export interface FaultCampaignContext {
  backend: ChaosBackend;
  /** The full run's real receiver: writes go to it, and sampled seeds' counters are queried from it. */
  prometheus?: { writeUrl: string; api: PrometheusApi; query: (seed: number) => boolean };
  logger?: Logger;
}

export interface SeedReport {
  seed: number;
  violations: string[];
  trace: string[];
  faults: Map<string, number>;
  invocations: Map<InvocationKind, number>;
  /** Acknowledged rows (samples and profile stacks) checked to be in exactly one live block. */
  samplesChecked: number;
  /** Rule counters compared with the ground truth (export records, receiver, Prometheus). */
  countersChecked: number;
  storageCalls: number;
  receiverRequests: number;
  pushes: number;
  drops: number;
  /** Simulated time from start to quiescence. */
  simulatedMs: number;
  /** Digest of every call in the order it was made: a replay of the seed must give the same. */
  digest: string;
}

/** Every seed's clock starts here, so that a seed replays the same anywhere. */
export const defaultStartMs = Date.UTC(2025, 0, 1);

let buckets = 0;

export async function runFaultSeed(context: FaultCampaignContext, seed: number): Promise<SeedReport> {
  const plan = planSeed(seed, defaultStartMs);
  return runWorld(context, plan, { faults: true }, (world, clients, report) => checkEnd(world, plan, clients, report, context));
}

/**
 * One world from its plan to its checks: a bucket never used before in this process (lib caches
 * per bucket, and a replay in a fresh process must find what the campaign found; the trace leaves
 * the name out), the chaos phase (with faults or without), quiescence, then `check`.
 * `quarantined`: the bad objects that end in quarantine (the input campaign's).
 */
export async function runWorld(
  context: FaultCampaignContext,
  plan: SeedPlan,
  options: { faults: boolean; quarantined?: ReadonlySet<string> },
  check: (world: World, clients: Clients, report: SeedReport) => Promise<void>,
): Promise<SeedReport> {
  const store = await context.backend.openBucket(`strata-chaos-${process.pid}-${++buckets}`);
  const world = new World(
    {
      ...plan.settings,
      ...(context.prometheus === undefined ? {} : { prometheusWriteUrl: context.prometheus.writeUrl }),
      ...(context.logger === undefined ? {} : { logger: context.logger }),
    },
    store,
  );
  const clients = new Clients(world, plan);
  const report: SeedReport = {
    seed: plan.seed,
    violations: [],
    trace: world.trace,
    faults: world.faultCounts,
    invocations: world.invocationCounts,
    samplesChecked: 0,
    countersChecked: 0,
    storageCalls: 0,
    receiverRequests: 0,
    pushes: plan.pushes.length,
    drops: plan.drops.length,
    simulatedMs: 0,
    digest: '',
  };
  world.note(`seed ${plan.seed}: ${plan.tenants.length} tenant(s), ${plan.pushes.length} push(es), ${plan.drops.length} dropped file(s), ${plan.settings.shardCount} shard(s), ${plan.steps} steps`);
  try {
    if (!options.faults) world.faultsOff();
    await chaos(world, plan, clients, report);
    if (options.faults) world.faultsOff();
    report.violations.push(...(await quiesce(world, clients, options.quarantined)));
    report.violations.push(...clients.problems);
    await check(world, clients, report);
  } catch (error) {
    report.violations.push(`the harness failed: ${(error as Error).stack ?? String(error)}`);
  } finally {
    report.storageCalls = world.storageCalls;
    report.receiverRequests = world.receiver.requests;
    report.simulatedMs = world.now - plan.settings.startMs;
    report.digest = world.scheduler.digest();
    await context.backend.closeBucket(store);
  }
  return report;
}

async function chaos(world: World, plan: SeedPlan, clients: Clients, report: SeedReport): Promise<void> {
  const dice = world.schedule;
  const { settings } = plan;
  const checkAt = dice.int(plan.steps);
  // At least the plan's steps; then on, up to four times as many, until the workload is in and
  // the queues are empty, so that most of the work is done while faults are on.
  for (let step = 0; step < 4 * plan.steps; step++) {
    if (step >= plan.steps && clients.done && world.events.messages.length === 0 && world.jobs.messages.length === 0) break;
    if (step === checkAt) {
      // Readers are never served a sample twice, whatever the moment (all calls wait between two steps).
      for (const tenant of plan.tenants) report.violations.push(...(await checkRows(world.store, tenant, clients.expectation(tenant), `at step ${step}`)).violations);
    }
    if (clients.hasRetry) {
      clients.sendRetry();
      continue;
    }
    const actions: Array<readonly [number, () => unknown]> = [];
    if (clients.hasUnsent) actions.push([3, () => clients.sendNext()]);
    const events = world.events.available();
    if (events.length > 0) {
      actions.push([
        3,
        () => {
          const batch = dice.shuffle(events).slice(0, dice.between(1, Math.min(10, events.length)));
          const held = world.heldByLive(world.events);
          if (held.length > 0 && world.faultChance(settings.faults.duplicateDelivery)) {
            const again = dice.pick(held);
            world.fault('duplicate-delivery', `${again.messageId} is delivered again while a planner handles it`);
            batch.push(again);
          }
          world.startPlanner(batch);
        },
      ]);
    }
    const jobs = world.jobs.available();
    if (jobs.length > 0) actions.push([3, () => world.startCompactor(dice.pick(jobs))]);
    actions.push([0.6, () => world.startTick()]);
    if (world.scheduler.pending > 0) {
      actions.push([
        10,
        async () => {
          for (let turns = dice.between(1, 12); turns > 0; turns--) if (!(await world.grant())) break;
        },
      ]);
    }
    actions.push([1, () => world.advance(dice.between(100, 20_000), 'time passes')]);
    if (!clients.waiting) {
      actions.push([0.25, () => world.advance(dice.between(settings.leaseMs, 2 * settings.leaseMs), 'a long pause')]);
      const held = [...world.heldByLive(world.events).map((message) => [world.events, message] as const), ...world.heldByLive(world.jobs).map((message) => [world.jobs, message] as const)];
      if (held.length > 0 && world.faultsOn) {
        actions.push([
          0.4,
          () => {
            const [queue, message] = dice.pick(held);
            world.expireMidJob(queue, message);
          },
        ]);
      }
    }
    if (world.faultsOn) actions.push([0.15, () => world.setReceiverDown(!world.receiverDown)]);
    await dice.weighted(actions)();
  }
}

/** The longest the pipeline may need to notice that something is due, plus a second. */
function quietStep(plan: SeedPlan): number {
  const { settings } = plan;
  const ages = Math.max(...settings.limits.levels.map((level) => level.maxAgeMs));
  return ages + Math.max(settings.leaseMs, settings.cleanupDelayMs, settings.adoptAfterMs, settings.jobsVisibilityMs, settings.eventsVisibilityMs) + 1000;
}

/** `quarantined`: the bad objects that end in quarantine (the input campaign's). */
async function quiesce(world: World, clients: Clients, quarantined?: ReadonlySet<string>): Promise<string[]> {
  const rounds = 30;
  let left: string[] = [];
  for (let round = 1; round <= rounds; round++) {
    await world.drain();
    await clients.finish();
    for (let pass = 0; pass < 2; pass++) {
      await handleAll(world);
      world.startTick();
      await world.drain();
    }
    await handleAll(world);
    left = await checkQuiescent(world, quarantined);
    if (left.length === 0) {
      world.note(`quiescent after ${round} round(s)`);
      return [];
    }
    world.advance(quietStep(clients.plan), 'waiting for the pipeline to catch up');
  }
  return [`the pipeline did not quiesce after ${rounds} rounds without faults: ${left.join('; ')}`];
}

/** Planners on every visible event, compactors on every visible job, until none is left. */
async function handleAll(world: World): Promise<void> {
  for (;;) {
    const events = world.events.available();
    const jobs = world.jobs.available();
    if (events.length === 0 && jobs.length === 0) return;
    if (events.length > 0) world.startPlanner(events.slice(0, 10));
    else world.startCompactor(jobs[0]!);
    await world.drain();
  }
}

async function checkEnd(world: World, plan: SeedPlan, clients: Clients, report: SeedReport, context: FaultCampaignContext): Promise<void> {
  const finalLevel = plan.settings.limits.levels.length;
  report.violations.push(...checkLineage(world, finalLevel));
  for (const tenant of plan.tenants) {
    const rows = await checkRows(world.store, tenant, clients.expectation(tenant), 'at the end');
    report.violations.push(...rows.violations);
    report.samplesChecked += rows.checked;
    const early = rows.live.filter((object) => object.key.kind !== 'block' || object.key.level !== finalLevel);
    if (early.length > 0) report.violations.push(`invariant 5: ${early.length} live object(s) of ${tenant} never reached level ${finalLevel}, e.g. ${early[0]!.info.key}`);
    const truth = truthOf(clients.series(tenant));
    const exports = await checkExports(world, tenant, truth, { checkValues: true });
    report.violations.push(...exports.violations);
    report.countersChecked += exports.counters;
    if (context.prometheus?.query(plan.seed) === true) {
      const totals = await context.prometheus.api.totals(tenant, { timeMs: world.now, lookback: '30d' });
      report.violations.push(...compareTotals(`counters of ${tenant} queried from Prometheus`, totals, truth));
      report.countersChecked += truth.size;
    }
  }
  report.violations.push(...world.receiver.view.violations.map((violation) => `invariant 4: the receiver was sent ${violation.series}: ${violation.problem}`));
}
