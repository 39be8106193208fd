/**
 * What a seed of the fault campaign does, drawn from the seed alone: the pipeline's settings (shard
 * count, cut limits and caps, lease, cleanup delay, retry budgets), the fault rates, and the
 * workload — tenants pushing phases of the end-to-end data (test/helpers/e2e-data.ts: remote write,
 * JSON samples, pprof profiles, with recording rules over all three) and users dropping segment
 * files of their own into the bucket.
 */
import { strataResources } from '../../lib/aws/resources.js';
import type { IngestRequest } from '../../lib/ingest/contract.js';
import { planLimits } from '../../lib/plan/limits.js';
import { buildSegments } from '../../lib/segment/build.js';
import { shardOf, sortLabels } from '../../lib/segment/labels.js';
import { makePhase, phaseRequests, phaseSeries, phaseSpanMs, rulesYaml, type Phase, type TruthSeries } from '../helpers/e2e-data.js';
import { Dice } from './dice.js';
import type { FaultRates, WorldSettings } from './world.js';

/** The queues as deployed: a job outlives its visibility timeout as it would on AWS. */
const deployed = strataResources();

export interface PushPlan {
  tenant: string;
  /** For the trace: "t0 remote-write #3". */
  label: string;
  request: IngestRequest;
  /** The status that acknowledges it. */
  expected: number;
  /** What stores it stores (empty for a mutated request: whatever ingest makes of it). */
  series: TruthSeries[];
  /** Set for bad input (the input campaign): any 2xx acknowledges it, a 4xx refuses it for good. */
  mutation?: string;
}

export interface DropPlan {
  tenant: string;
  key: string;
  bytes: Uint8Array;
  /** Its series when it is valid; none when it is bad and must end in quarantine. */
  series: TruthSeries[];
  /** Set for a bad file (the input campaign), with the damage done to it. */
  mutation?: string;
  valid: boolean;
}

export interface SeedPlan {
  seed: number;
  settings: Omit<WorldSettings, 'logger' | 'prometheusWriteUrl'>;
  tenants: string[];
  /** In the order clients send them. */
  pushes: PushPlan[];
  drops: DropPlan[];
  /** Steps of the chaos phase before the world is left to quiesce. */
  steps: number;
}

const baseFaultRates: FaultRates = {
  crash: 0.2,
  storage: 0.02,
  send: 0.06,
  lostNotification: 0.12,
  duplicateNotification: 0.06,
  receiver: 0.2,
  duplicateDelivery: 0.1,
  clientRetry: 0.1,
};

export function planSeed(seed: number, startMs: number): SeedPlan {
  const dice = new Dice(seed, 'workload');
  const tenants = Array.from({ length: dice.between(1, 2) }, (_, i) => `c${seed}-${i}`);
  const shardCount = dice.between(1, 4);
  const limits = planLimits({
    levels: [
      { maxItems: dice.between(2, 8), maxAgeMs: dice.between(5, 60) * 1000, ...(dice.chance(0.2) ? { maxBytes: dice.between(2, 30) * 1000 } : {}) },
      { maxItems: dice.between(2, 5), maxAgeMs: dice.between(30, 900) * 1000 },
      { maxItems: dice.between(2, 4), maxAgeMs: dice.between(60, 1800) * 1000 },
    ],
    maxPendingSegments: dice.chance(0.2) ? dice.between(2, 10) : 500,
    maxOpenJobs: dice.chance(0.2) ? dice.between(1, 3) : 32,
  });
  // Some seeds are calm, some stormy.
  const storm = dice.pick([0.25, 1, 1, 2]);
  const faults = Object.fromEntries(Object.entries(baseFaultRates).map(([kind, rate]) => [kind, Math.min(0.9, rate * storm)])) as unknown as FaultRates;

  const pushes: PushPlan[] = [];
  const drops: DropPlan[] = [];
  for (const [t, tenant] of tenants.entries()) {
    const phases = dice.between(1, 2);
    for (let index = 0; index < phases; index++) {
      const phase = thin(dice, makePhase(index, seed * 10 + t, startMs - 90_000 + index * 2 * phaseSpanMs));
      for (const request of phaseRequests(tenant, phase)) {
        pushes.push({ tenant, label: `${tenant} ${request.endpoint}`, request: request.request, expected: request.expected, series: request.series });
      }
    }
    // Files made elsewhere (`strata segment build`), maybe with another shard count, dropped in.
    for (let d = 0, files = dice.between(0, 2); d < files; d++) {
      const phase = makePhase(100 + d, seed * 10 + t, startMs - 300_000 + d * 2 * phaseSpanMs);
      const truth = phaseSeries({ remoteWrite: phase.remoteWrite.filter(() => dice.chance(0.5)), json: phase.json, profiles: [] });
      const series = truth.map((one) => ({
        labels: sortLabels(Object.entries(one.labels).map(([name, value]) => ({ name, value }))),
        samples: one.samples.map(([timestamp, value]) => ({ timestamp, value })),
        functions: [],
        stacks: [],
      }));
      const dropShards = dice.chance(0.5) ? shardCount : dice.between(1, 4);
      for (const segment of buildSegments(series, { tenant, shardCount: dropShards, createdBy: 'strata-chaos-user', createdAtMs: startMs - 200_000 })) {
        const inFile = truth.filter((_, i) => shardOf(series[i]!.labels, dropShards) === segment.shard);
        drops.push({ tenant, key: segment.key, bytes: segment.bytes, series: inFile, valid: true });
      }
    }
  }
  const ordered = dice.shuffle(pushes).map((push, i) => ({ ...push, label: `${push.label} #${i + 1}` }));
  return {
    seed,
    settings: {
      seed,
      startMs,
      shardCount,
      limits,
      leaseMs: dice.between(60, 300) * 1000,
      cleanupDelayMs: dice.between(30, 90) * 1000,
      adoptAfterMs: dice.between(30, 180) * 1000,
      remoteWriteRetryMs: dice.between(1, 30) * 1000,
      eventsVisibilityMs: deployed.eventsQueue.visibilityTimeoutSeconds * 1000,
      jobsVisibilityMs: deployed.jobsQueue.visibilityTimeoutSeconds * 1000,
      maxReceiveCount: dice.between(2, 5),
      rulesYaml,
      faults,
      maxCrashCall: 40,
    },
    tenants,
    pushes: ordered,
    drops,
    steps: dice.between(60, 240),
  };
}

/** Leaves out some of a phase's series and profiles (never all of them). */
function thin(dice: Dice, phase: Phase): Phase {
  const keep = <T>(items: readonly T[]) => items.filter(() => dice.chance(0.7));
  const thinned = { remoteWrite: keep(phase.remoteWrite), json: keep(phase.json), profiles: keep(phase.profiles) };
  return thinned.remoteWrite.length + thinned.json.length + thinned.profiles.length === 0 ? phase : thinned;
}
