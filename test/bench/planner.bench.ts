/**
 * Planner benchmark: `node --import tsx test/bench/planner.bench.ts [events]`
 *
 * 1. Throughput: segment events per second through planSegmentEvents on the embedded stack (real
 *    HEADs, conditional writes and FIFO sends), one planner, then four at once over four shards.
 * 2. Conflicts: two planners at once on one shard — how many conditional writes lose and retry.
 * 3. State size at the sustained-load target (3.5M samples/min = 1,750 remote-write requests of
 *    2,000 series per minute; a request's series spread over 4 shards, so 1,750 segments per shard
 *    per minute), simulated in virtual time with the same pure transitions the planner, the
 *    compactor's commit and the tick use; plus the bound when the compactor stalls.
 */
import { ulid } from 'ulid';
import { silentLogger } from '../../lib/log/logger.js';
import { serializeState, emptyState } from '../../lib/metastore/schema.js';
import { addSegments, commitJob, markDispatched } from '../../lib/metastore/transitions.js';
import type { ShardState } from '../../lib/metastore/types.js';
import { cleanUpDueTombstones } from '../../lib/plan/cleanup.js';
import { tickCleanupKeys } from '../../lib/tick/tick.js';
import { cutJobs } from '../../lib/plan/cut.js';
import { defaultPlanLimits, planLimits } from '../../lib/plan/limits.js';
import { newPlannerCounters, planSegmentEvents, type PlannerCounters } from '../../lib/plan/planner.js';
import { emptyRulesHash } from '../../lib/rules/snapshot.js';
import { segmentKey } from '../../lib/segment/keys.js';
import { s3EventBody } from '../helpers/planner-fixtures.js';
import { MemoryObjectStore } from '../helpers/metastore-memory.js';
import { drainJobs, shardState, startPlannerStack, type PlannerStack } from '../helpers/planner-stack.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const events = Number(process.argv[2] ?? 2000);
const segmentBytes = 15_000;

interface EventInput {
  messageId: string;
  body: string;
}

async function writeSegments(stack: PlannerStack, tenant: string, shards: readonly number[], perShard: number): Promise<EventInput[]> {
  const inputs: EventInput[] = [];
  const body = new Uint8Array(segmentBytes);
  for (const shard of shards) {
    const keys = Array.from({ length: perShard }, () => segmentKey(tenant, shard, ulid()));
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => stack.store.put(key, body)));
    for (const key of keys) {
      inputs.push({ messageId: `${key}`, body: s3EventBody([{ bucket: stack.resources.bucket, key, size: segmentBytes }]) });
    }
  }
  // Interleave shards, as a real events queue would.
  return inputs.sort((a, b) => (a.messageId.slice(-12) < b.messageId.slice(-12) ? -1 : 1));
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function run(stack: PlannerStack, name: string, inputs: EventInput[], planners: number, counters: PlannerCounters) {
  const queue = batches(inputs, 10);
  // No compactor runs here: lift the open-job and pending caps so they do not shape the measurement.
  const limits = planLimits({ maxOpenJobs: 10_000, maxPendingSegments: 100_000 });
  const deps = { store: stack.store, jobs: stack.jobs, logger: silentLogger, counters, limits };
  const started = performance.now();
  let failed = 0;
  await Promise.all(
    Array.from({ length: planners }, async () => {
      for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
        failed += (await planSegmentEvents(deps, batch)).failedMessageIds.length;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const writes = counters.writes;
  const result = {
    name,
    events: inputs.length,
    planners,
    seconds: round(seconds, 2),
    eventsPerSecond: Math.round(inputs.length / seconds),
    stateWrites: writes,
    conflicts: counters.conflicts,
    conflictRate: round(counters.conflicts / (writes + counters.conflicts), 3),
    exhausted: counters.exhausted,
    failedMessages: failed,
    jobsCut: counters.jobsCut,
    maxStateBytes: counters.maxStateBytes,
  };
  console.log(JSON.stringify(result));
  return result;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

async function throughputAndConflicts(): Promise<void> {
  const stack = await startPlannerStack();
  try {
    await run(stack, 'warm-up', await writeSegments(stack, 'warm', [0], 100), 1, newPlannerCounters());
    await run(stack, '1 planner, 4 shards', await writeSegments(stack, 'one', [0, 1, 2, 3], events / 4), 1, newPlannerCounters());
    await run(stack, '4 planners, 4 shards', await writeSegments(stack, 'four', [0, 1, 2, 3], events / 4), 4, newPlannerCounters());
    const counters = newPlannerCounters();
    const raced = await run(stack, '2 planners, 1 shard', await writeSegments(stack, 'race', [0], events / 2), 2, counters);
    const { state } = await shardState(stack, 'race', 0);
    const sources = state.jobs.flatMap((job) => job.sources).length + state.pending.length;
    if (sources !== raced.events) throw new Error(`race lost or doubled segments: ${sources} of ${raced.events}`);
    await drainJobs(stack);
  } finally {
    await stack.stop();
  }
}

/**
 * Virtual-time simulation of one shard at the target load. The planner takes arrivals in batches
 * of 10 (Lambda's batch), the compactor runs one job at a time per shard (FIFO) for
 * `compactorSeconds` and commits (with cleanup of due tombstones, as commitCompactedJob does), and
 * the tick runs every minute.
 */
async function simulateState(options: { minutes: number; compactorSeconds: number; stallFrom?: number; stallMinutes?: number; cleanupOnCommit: boolean }) {
  const segmentsPerMinute = 1750;
  const limits = defaultPlanLimits;
  const store = new MemoryObjectStore();
  let state: ShardState = emptyState('tenant-with-a-typical-name', 3);
  const arrivalGapMs = 60_000 / segmentsPerMinute;
  let nextArrival = 0;
  let nextTick = 60_000;
  let compactorFreeAt = 0;
  const queue: Array<{ jobId: string; at: number }> = [];
  const deleted = new Set<string>();
  let maxBytes = 0;
  let sumBytes = 0;
  let samples = 0;
  let maxTombstonedSegments = 0;
  let maxOpenJobs = 0;
  const measure = () => {
    const bytes = serializeState(state).length;
    maxBytes = Math.max(maxBytes, bytes);
    sumBytes += bytes;
    samples++;
    maxTombstonedSegments = Math.max(maxTombstonedSegments, state.tombstones.filter((t) => t.level === 0).reduce((n, t) => n + t.sources.length, 0));
    maxOpenJobs = Math.max(maxOpenJobs, state.jobs.length);
  };
  const dispatch = (now: number) => {
    const fresh = state.jobs.filter((job) => job.dispatches === 0);
    queue.push(...fresh.map((job) => ({ jobId: job.id, at: now })));
    state = markDispatched(state, fresh.map((job) => ({ jobId: job.id, dispatches: 0 })), now);
  };
  const end = options.minutes * 60_000;
  for (let now = 0; now < end; now += arrivalGapMs * 10) {
    const batch = Array.from({ length: 10 }, () => ({ id: ulid(Math.floor(nextArrival)), size: segmentBytes, createdAt: Math.floor((nextArrival += arrivalGapMs)) }));
    state = cutJobs(addSegments(state, batch, limits.maxPendingSegments).state, { now, limits, rulesHash: emptyRulesHash }).state;
    dispatch(now);
    measure();
    const stallEnd = options.stallFrom === undefined ? -1 : (options.stallFrom + (options.stallMinutes ?? 0)) * 60_000;
    const stalled = options.stallFrom !== undefined && now >= options.stallFrom * 60_000 && now < stallEnd;
    // The compactor takes the queued jobs one at a time; a job commits when its run ends.
    while (!stalled && queue.length > 0) {
      const { jobId, at } = queue[0]!;
      const finish = Math.max(compactorFreeAt, at, stallEnd) + options.compactorSeconds * 1000;
      if (finish > now) break;
      queue.shift();
      compactorFreeAt = finish;
      let next = commitJob(state, jobId, { size: segmentBytes * 10 }, finish).state;
      if (options.cleanupOnCommit) next = (await cleanUpDueTombstones(store, next, finish, 60_000, deleted)).state;
      state = cutJobs(next, { now: finish, limits, rulesHash: emptyRulesHash }).state;
      dispatch(finish);
      measure();
    }
    if (now >= nextTick) {
      nextTick += 60_000;
      state = (await cleanUpDueTombstones(store, state, now, 60_000, deleted, tickCleanupKeys)).state;
      state = cutJobs(state, { now, limits, rulesHash: emptyRulesHash }).state;
      dispatch(now);
      measure();
    }
  }
  const result = {
    name: `state size, ${segmentsPerMinute} segments/shard/min, compactor ${options.compactorSeconds}s/job` +
      (options.stallFrom === undefined ? '' : `, compactor stalled ${options.stallMinutes} min`) +
      (options.cleanupOnCommit ? '' : ', cleanup by the tick only'),
    simulatedMinutes: options.minutes,
    maxStateBytes: maxBytes,
    meanStateBytes: Math.round(sumBytes / samples),
    maxTombstonedSegments,
    maxOpenJobs,
  };
  console.log(JSON.stringify(result));
}

if (process.env['BENCH_ONLY'] !== 'state') {
  console.log(`# planner benchmark: ${events} segment events on the embedded stack`);
  await throughputAndConflicts();
}
console.log('# shard state size at the sustained-load target (virtual time)');
await simulateState({ minutes: 30, compactorSeconds: 0.5, cleanupOnCommit: true });
await simulateState({ minutes: 30, compactorSeconds: 0.5, cleanupOnCommit: false });
await simulateState({ minutes: 30, compactorSeconds: 0.5, stallFrom: 10, stallMinutes: 10, cleanupOnCommit: true });
await simulateState({ minutes: 30, compactorSeconds: 0.25, cleanupOnCommit: true });
