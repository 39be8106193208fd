/**
 * The invariants of DESIGN.md, checked against what is in the bucket, the queues and the receiver
 * (never against what the pipeline says about itself):
 *
 * - rows: every acknowledged sample (and profile stack) is in exactly one live object, every
 *   sample in flight in at most one, and nothing else is live (invariant 1; readers compute the
 *   live set as lib/compact/live.ts does);
 * - quiescence: nothing pending, waiting, open or tombstoned in any state, no segment left, nothing
 *   in quarantine, no message left on a queue (invariants 5 and 6);
 * - lineage: each segment is a source of exactly one L1 block and each block of exactly one block
 *   of the next level (invariant 3), block bytes identical on every write (invariant 2);
 * - exports: each shard's latest record delivered, its counters equal to the ground truth of the
 *   pushed data summed over shards, the receiver's latest samples too, and the receiver never saw a
 *   conflicting sample (invariant 4).
 */
import type { ObjectStore } from '../../lib/aws/contract.js';
import { listLiveSet, type LiveObject } from '../../lib/compact/live.js';
import { readExportRecord } from '../../lib/export/chain.js';
import { exportStatus } from '../../lib/export/delivery.js';
import { ruleIdLabel } from '../../lib/rules/types.js';
import { shardStatuses, type ShardStatus } from '../../lib/status/status.js';
import { decodeFile, type Series } from '../../lib/segment/format.js';
import { parseDataKey, parseStateKey, prefixes, quarantineKeys } from '../../lib/segment/keys.js';
import { sortLabels } from '../../lib/segment/labels.js';
import { groupLabelOf, recordOf, totalsKey, type Totals, type TruthSeries } from '../helpers/e2e-data.js';
import { seriesKey } from '../helpers/receiver-view.js';
import type { World } from './world.js';

/** The rows (one per sample, one per profile stack) of a series from the workload. */
export function truthRows(series: TruthSeries): string[] {
  const labels = seriesKey(sortLabels(Object.entries(series.labels).map(([name, value]) => ({ name, value }))));
  return [
    ...series.samples.map(([ts, value]) => `${labels}@${ts}=${value}`),
    ...series.stacks.map((stack) => `${labels}#${stack.timestamp}:${stack.frames.join('|')}=${stack.value}`),
  ];
}

/** The rows of a series read from a file. */
export function storedRows(series: Series): string[] {
  const labels = seriesKey(series.labels);
  return [
    ...series.samples.map((sample) => `${labels}@${sample.timestamp}=${sample.value}`),
    ...series.stacks.map((stack) => `${labels}#${stack.timestamp}:${stack.frames.map((frame) => series.functions[frame]).join('|')}=${stack.value}`),
  ];
}

/** A series read from a file, as the ground truth evaluates it. */
export function truthSeriesOf(series: Series): TruthSeries {
  return {
    labels: Object.fromEntries(series.labels.map((label) => [label.name, label.value])),
    samples: series.samples.map((sample) => [sample.timestamp, sample.value]),
    stacks: series.stacks.map((stack) => ({ timestamp: stack.timestamp, frames: stack.frames.map((frame) => series.functions[frame]!), value: stack.value })),
  };
}

interface LiveRows {
  /** Row → how many live objects hold it. */
  rows: Map<string, number>;
  live: LiveObject[];
  /** Live objects that do not decode (bad files not yet quarantined). */
  unreadable: string[];
}

async function liveRows(store: ObjectStore, tenant: string): Promise<LiveRows> {
  const { live } = await listLiveSet(store, tenant);
  const rows = new Map<string, number>();
  const unreadable: string[] = [];
  for (const object of live) {
    const stored = await store.get(object.info.key);
    if (stored === undefined) continue;
    let series: Series[];
    try {
      series = decodeFile(stored.body, { expectKey: object.key }).series;
    } catch {
      unreadable.push(object.info.key);
      continue;
    }
    for (const one of series) for (const row of new Set(storedRows(one))) rows.set(row, (rows.get(row) ?? 0) + 1);
  }
  return { rows, live, unreadable };
}

export interface RowExpectation {
  /** Acknowledged: each must be live exactly once. */
  exactlyOnce: ReadonlySet<string>;
  /** Sent but not (yet) acknowledged: live at most once. */
  atMostOnce: ReadonlySet<string>;
  /** Keys of bad files that may be live (until they are quarantined) without decoding. */
  unreadable?: ReadonlySet<string>;
}

/** Invariant 1 for one tenant at this moment. Returns the violations and how many rows were checked. */
export async function checkRows(store: ObjectStore, tenant: string, expected: RowExpectation, when: string): Promise<{ violations: string[]; checked: number; live: LiveObject[] }> {
  const { rows, live, unreadable } = await liveRows(store, tenant);
  const problems = new Map<string, string[]>();
  const add = (kind: string, row: string) => problems.set(kind, [...(problems.get(kind) ?? []), row]);
  for (const key of unreadable) if (expected.unreadable?.has(key) !== true) add('live object(s) that do not decode', key);
  for (const row of expected.exactlyOnce) {
    const count = rows.get(row) ?? 0;
    if (count === 0) add('acknowledged but in no live object (lost)', row);
    else if (count > 1) add(`in ${count} live objects (counted twice)`, row);
  }
  for (const [row, count] of rows) {
    if (expected.exactlyOnce.has(row)) continue;
    if (!expected.atMostOnce.has(row)) add('live but never pushed or dropped', row);
    else if (count > 1) add(`in ${count} live objects (counted twice)`, row);
  }
  const violations = [...problems].map(([kind, list]) => `invariant 1 (${when}), tenant ${tenant}: ${list.length} row(s) ${kind}, e.g. ${list.slice(0, 3).join('; ')}`);
  return { violations, checked: expected.exactlyOnce.size, live };
}

/**
 * Everything done: no work left anywhere. `quarantined` are the keys of the bad objects that must
 * be in quarantine, each with a report saying why; nothing else may be.
 */
export async function checkQuiescent(world: World, quarantined: ReadonlySet<string> = new Set()): Promise<string[]> {
  const violations: string[] = [];
  for (const queue of [world.events, world.jobs]) {
    if (queue.messages.length > 0) violations.push(`invariant 5: ${queue.messages.length} message(s) left on ${queue.url}`);
  }
  // shardStatuses passes over keys that are not a state's and throws for a state that does not read.
  for (const key of await keys(world.store, prefixes.state)) if (parseStateKey(key) === undefined) violations.push(`state: unexpected object ${key}`);
  let statuses: ShardStatus[] = [];
  try {
    statuses = await shardStatuses(world.store, world.now);
  } catch (error) {
    violations.push(`state: ${(error as Error).message}`);
  }
  for (const status of statuses) {
    const where = `${status.tenant}/${status.shard}`;
    const left = { pending: status.pendingSegments, waiting: status.waitingBlocks, jobs: status.openJobs, tombstones: status.tombstones };
    if (Object.values(left).some((n) => n > 0)) violations.push(`invariant 5: the state of ${where} still holds ${JSON.stringify(left)}`);
  }
  // Every shard with export objects, whether or not a state object is left for it.
  for (const { tenant, shard } of await exportShards(world.store)) {
    const status = await exportStatus(world.store, tenant, shard);
    if (status.undelivered > 0) violations.push(`invariant 5: ${status.undelivered} export record(s) of ${tenant}/${shard} undelivered`);
  }
  const segments = await keys(world.store, prefixes.segments);
  if (segments.length > 0) violations.push(`invariant 5: ${segments.length} segment(s) stranded, e.g. ${segments.slice(0, 3).join(', ')}`);
  violations.push(...(await checkQuarantine(world.store, quarantined)));
  return violations;
}

/** Invariant 6: exactly these objects in quarantine, each with a report naming it and saying why. */
export async function checkQuarantine(store: ObjectStore, expected: ReadonlySet<string>): Promise<string[]> {
  const violations: string[] = [];
  const present = new Set(await keys(store, prefixes.quarantine));
  const missing: string[] = [];
  for (const key of expected) {
    const { objectKey, reportKey } = quarantineKeys(key);
    if (!present.has(objectKey)) {
      missing.push(key);
      continue;
    }
    present.delete(objectKey);
    present.delete(reportKey);
    const report = await store.get(reportKey);
    let parsed: { key?: unknown; reason?: unknown } | undefined;
    try {
      parsed = report === undefined ? undefined : (JSON.parse(new TextDecoder().decode(report.body)) as { key?: unknown; reason?: unknown });
    } catch {
      parsed = undefined;
    }
    if (parsed?.key !== key || typeof parsed.reason !== 'string' || parsed.reason.trim() === '') violations.push(`invariant 6: ${key} is in quarantine without a report saying why`);
  }
  if (missing.length > 0) violations.push(`invariant 6: ${missing.length} bad object(s) not in quarantine, e.g. ${missing.slice(0, 3).join(', ')}`);
  if (present.size > 0) violations.push(`invariant 6: ${present.size} object(s) in quarantine that hold valid data, e.g. ${[...present].slice(0, 3).join(', ')}`);
  return violations;
}

/** Invariants 2 and 3 from the write log: one consumer per source, identical rewrites. */
export function checkLineage(world: World, finalLevel: number): string[] {
  const violations = [...world.log.problems];
  const consumers = new Map<string, Set<string>>();
  for (const [block, sources] of world.log.blockSources) {
    for (const source of sources) {
      let set = consumers.get(source);
      if (set === undefined) consumers.set(source, (set = new Set()));
      set.add(block);
    }
  }
  const sources = [...world.log.segments.keys(), ...[...world.log.blockSources.keys()].filter((key) => parseDataKey(key).kind === 'block' && (parseDataKey(key) as { level: number }).level < finalLevel)];
  for (const source of sources) {
    if (world.log.quarantined.has(source)) continue;
    const blocks = [...(consumers.get(source) ?? [])];
    if (blocks.length !== 1) violations.push(`invariant 3: ${source} is a source of ${blocks.length} block(s)${blocks.length > 0 ? `: ${blocks.join(', ')}` : ''}`);
  }
  return violations;
}

/** Sums the rules' output series (named as the rule records, with its strata_rule label) per rule and group. */
export function totalsOfSeries(series: Iterable<{ labels: ReadonlyArray<{ name: string; value: string }>; value: number }>): Totals {
  const totals: Totals = new Map();
  for (const { labels, value } of series) {
    const rule = labels.find((label) => label.name === ruleIdLabel)?.value;
    const name = labels.find((label) => label.name === '__name__')?.value;
    if (rule === undefined || recordOf[rule] === undefined || recordOf[rule] !== name) continue;
    const key = totalsKey(rule, labels.find((label) => label.name === groupLabelOf[rule])?.value ?? '');
    totals.set(key, (totals.get(key) ?? 0) + value);
  }
  return totals;
}

/** Differences between two totals; a group at 0 counts as absent (a rule may emit a zero increment). */
export function compareTotals(what: string, actual: Totals, expected: Totals): string[] {
  const differences: string[] = [];
  for (const key of new Set([...actual.keys(), ...expected.keys()])) {
    const got = actual.get(key) ?? 0;
    const want = expected.get(key) ?? 0;
    if (got !== want) differences.push(`${key}: ${got}, expected ${want}`);
  }
  return differences.length === 0 ? [] : [`${what}: ${differences.slice(0, 6).join('; ')}${differences.length > 6 ? ` and ${differences.length - 6} more` : ''}`];
}

/**
 * Per shard of the tenant: the latest export record delivered, its job and segment counts equal to
 * what was compacted; summed over shards, its counters equal to `truth`, and so are the receiver's
 * latest samples. Returns the violations and how many counters were compared.
 */
export async function checkExports(world: World, tenant: string, truth: Totals, options: { checkValues: boolean }): Promise<{ violations: string[]; counters: number }> {
  const violations: string[] = [];
  const recordSeries: Array<{ labels: ReadonlyArray<{ name: string; value: string }>; value: number }> = [];
  for (const { shard } of await exportShards(world.store, tenant)) {
    const status = await exportStatus(world.store, tenant, shard);
    const where = `exports of ${tenant}/${shard}`;
    if (status.delivered !== status.latest) violations.push(`invariant 4: ${where}: record ${status.latest} is the latest, ${status.delivered} delivered`);
    const record = status.latest === 0 ? undefined : await readExportRecord(world.store, tenant, shard, status.latest);
    if (record === undefined) {
      violations.push(`${where}: no latest record`);
      continue;
    }
    recordSeries.push(...record.series);
    const segments = [...world.log.segments.keys()].filter((key) => key.startsWith(`${prefixes.segments}${tenant}/${shard}/`) && !world.log.quarantined.has(key)).length;
    const jobs = [...world.log.blockSources.keys()].filter((key) => key.startsWith(`${prefixes.blocks}${tenant}/${shard}/L1/`)).length;
    if (record.pipeline.jobs !== jobs) violations.push(`invariant 3: ${where}: the records count ${record.pipeline.jobs} L0 jobs, ${jobs} L1 blocks were written`);
    if (record.pipeline.segments !== segments) violations.push(`invariant 3: ${where}: the records count ${record.pipeline.segments} segments, ${segments} were written`);
  }
  if (!options.checkValues) return { violations, counters: 0 };
  violations.push(...compareTotals(`counters of ${tenant} in the export records`, totalsOfSeries(recordSeries), truth));
  const received = [...world.receiver.view.latest.values()]
    .filter(({ labels }) => labels.some((label) => label.name === 'strata_tenant' && label.value === tenant))
    .map(({ labels, sample }) => ({ labels, value: sample.value }));
  violations.push(...compareTotals(`counters of ${tenant} at the receiver`, totalsOfSeries(received), truth));
  return { violations, counters: 2 * truth.size };
}

/** The tenant's shards that have export objects. */
/** The shards with export objects: all of them, or one tenant's. */
async function exportShards(store: ObjectStore, tenant?: string): Promise<Array<{ tenant: string; shard: number }>> {
  const found = new Map<string, { tenant: string; shard: number }>();
  for (const key of await keys(store, tenant === undefined ? prefixes.exports : `${prefixes.exports}${tenant}/`)) {
    const [, owner, shard] = key.split('/');
    found.set(`${owner}/${shard}`, { tenant: owner!, shard: Number(shard) });
  }
  return [...found.values()];
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const object of store.list(prefix)) found.push(object.key);
  return found;
}
