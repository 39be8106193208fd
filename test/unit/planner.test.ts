/**
 * Planning without I/O: cutting jobs by count, bytes and age at every level, job ids and
 * timestamps, S3 event parsing, configuration from the environment.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { commitJob } from '../../lib/metastore/transitions.js';
import type { ShardState } from '../../lib/metastore/types.js';
import { plannerConfigFromEnv } from '../../lib/plan/config.js';
import { cutJobs } from '../../lib/plan/cut.js';
import { jobGroupId, jobMessage, levelOfJobGroup, parseJobMessage } from '../../lib/plan/dispatch.js';
import { MalformedEventMessageError, PlanConfigError } from '../../lib/plan/errors.js';
import { parseEventMessage } from '../../lib/plan/events.js';
import { dispatchDedupId, jobId } from '../../lib/plan/ids.js';
import { MiB, planLimits } from '../../lib/plan/limits.js';
import { emptyRulesHash } from '../../lib/rules/snapshot.js';
import { blockKey } from '../../lib/segment/keys.js';
import { failedIds } from '../../lib/local/runner.js';
import { pendingSegments, s3EventBody, segmentId, stateWith, testEventBody } from '../helpers/planner-fixtures.js';

const limits = planLimits();
const cut = (state: ShardState, now: number, overrides = limits) => cutJobs(state, { now, limits: overrides, rulesHash: emptyRulesHash });

describe('planner: cutting jobs', () => {
  test('planner: nothing is cut below every limit', () => {
    const state = stateWith({ pending: pendingSegments(19, 1_000) });
    const result = cut(state, 1_000 + 29_999);
    assert.equal(result.state, state);
    assert.deepEqual(result.jobs, []);
  });

  test('planner: 20 segments make a job of 20, sorted, and the rest stays pending', () => {
    const state = stateWith({ pending: pendingSegments(45, 1_000) });
    const { state: next, jobs } = cut(state, 2_000);
    assert.deepEqual(jobs.map((job) => job.sources.length), [20, 20]);
    assert.equal(next.pending.length, 5);
    for (const job of jobs) assert.deepEqual(job.sources, [...job.sources].sort());
    assert.deepEqual(jobs.map((job) => job.sequence), [0, 1]);
    assert.equal(next.nextSequence, 2);
    const all = jobs.flatMap((job) => job.sources).concat(next.pending.map((p) => p.id));
    assert.equal(new Set(all).size, 45, 'each segment in exactly one place');
  });

  test('planner: bytes cut a job that stays within the byte limit', () => {
    const state = stateWith({ pending: pendingSegments(10, 1_000, 20 * MiB) });
    const { jobs, state: next } = cut(state, 1_000);
    assert.deepEqual(jobs.map((job) => job.sources.length), [3, 3, 3]);
    assert.ok(jobs.every((job) => job.bytes <= 64 * MiB));
    assert.equal(next.pending.length, 1);
  });

  test('planner: a segment larger than the byte limit is a job on its own', () => {
    const { jobs } = cut(stateWith({ pending: pendingSegments(1, 1_000, 100 * MiB) }), 1_000);
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0]!.sources.length, 1);
  });

  test('planner: the oldest segment reaching 30 s cuts everything pending', () => {
    const state = stateWith({ pending: pendingSegments(3, 1_000) });
    assert.equal(cut(state, 30_999).jobs.length, 0);
    const { jobs, state: next } = cut(state, 31_000);
    assert.equal(jobs.length, 1);
    assert.equal(next.pending.length, 0);
  });

  test('planner: job timestamps strictly increase, even when the clock goes back', () => {
    let state = stateWith({ pending: pendingSegments(20, 1) });
    state = cut(state, 50_000).state;
    state = { ...state, pending: pendingSegments(20, 1, 1, 100) };
    const second = cut(state, 40_000);
    const first = state.jobs[0]!;
    assert.equal(first.ts, 50_000);
    assert.equal(second.jobs[0]!.ts, 50_001);
    assert.equal(second.state.lastJobTs, 50_001);
  });

  test('planner: job ids are deterministic, valid block ids, sort by sequence and depend on the generation', () => {
    const a = cut(stateWith({ pending: pendingSegments(40) }), 1).jobs;
    const b = cut(stateWith({ pending: pendingSegments(40) }), 99).jobs;
    assert.deepEqual(a.map((job) => job.id), b.map((job) => job.id));
    assert.ok(a[0]!.id < a[1]!.id);
    for (const job of a) blockKey('team-a', 3, job.level, job.id);
    const other = cut({ ...stateWith({ pending: pendingSegments(40) }), generation: 'gen1' }, 1).jobs;
    assert.notEqual(other[0]!.id, a[0]!.id);
    assert.equal(a[0]!.id, jobId('team-a', 3, 'gen0', 1, 0));
  });

  test('planner: the spec records the rules snapshot hash', () => {
    const rulesHash = `sha256:${'ab'.repeat(32)}`;
    const { jobs } = cutJobs(stateWith({ pending: pendingSegments(20) }), { now: 1, limits, rulesHash });
    assert.equal(jobs[0]!.rulesHash, rulesHash);
    assert.match(emptyRulesHash, /^sha256:[0-9a-f]{64}$/);
  });

  test('planner: committed L1 blocks are cut into L2 by count (10) or age (15 min), L2 into final L3', () => {
    let state = stateWith({ pending: pendingSegments(200) });
    const l1 = cut(state, 1_000);
    state = l1.state;
    for (const job of l1.jobs) state = commitJob(state, job.id, { size: 100 }, 2_000).state;
    assert.equal(state.waiting.length, 10);
    const l2 = cut(state, 2_000);
    assert.equal(l2.jobs.length, 1);
    assert.equal(l2.jobs[0]!.level, 2);
    assert.deepEqual(l2.jobs[0]!.sources, l1.jobs.map((job) => job.id));
    state = commitJob(l2.state, l2.jobs[0]!.id, { size: 1000 }, 3_000).state;
    assert.deepEqual(state.waiting.map((block) => block.level), [2]);
    assert.equal(cut(state, 3_000 + 3 * 3600_000 - 1).jobs.length, 0);
    const l3 = cut(state, 3_000 + 3 * 3600_000);
    assert.equal(l3.jobs[0]!.level, 3);
    assert.equal(l3.jobs[0]!.final, true);
    const afterL3 = commitJob(l3.state, l3.jobs[0]!.id, { size: 1 }, 4_000).state;
    assert.deepEqual(afterL3.waiting, []);
  });

  test('planner: no job is cut while maxOpenJobs are open', () => {
    const tight = planLimits({ maxOpenJobs: 2 });
    const { jobs, state } = cut(stateWith({ pending: pendingSegments(100) }), 1, tight);
    assert.equal(jobs.length, 2);
    assert.equal(state.pending.length, 60);
  });

  test('planner: limits are validated', () => {
    assert.throws(() => planLimits({ levels: [{ maxItems: 0 }] }), PlanConfigError);
    assert.throws(() => planLimits({ maxOpenJobs: -1 }), PlanConfigError);
  });
});

describe('planner: S3 event messages', () => {
  const bucket = 'strata-test-data';

  test('planner: several records per message, keys URL-decoded', () => {
    const body = s3EventBody([
      { bucket, key: `segments/team-a/3/${segmentId(1)}.seg`, size: 7 },
      { bucket, key: 'segments/team a/3/x+y.seg' },
    ]);
    const parsed = parseEventMessage(body, bucket);
    assert.equal(parsed.kind, 'records');
    if (parsed.kind !== 'records') return;
    const [first, second] = parsed.records;
    assert.equal(first?.kind, 'segment');
    assert.equal(first?.kind === 'segment' && first.size, 7);
    assert.equal(second?.kind, 'malformed-key');
    assert.equal(second?.kind === 'malformed-key' && second.key, 'segments/team a/3/x+y.seg');
  });

  test('planner: s3:TestEvent is recognised; a body that is not an S3 event is poison', () => {
    assert.deepEqual(parseEventMessage(testEventBody, bucket), { kind: 'test' });
    assert.throws(() => parseEventMessage('not json', bucket), MalformedEventMessageError);
    assert.throws(() => parseEventMessage('{"hello":1}', bucket), MalformedEventMessageError);
  });

  test('planner: other buckets, other events and keys outside segments/ are ignored, never quarantined', () => {
    const body = s3EventBody([
      { bucket: 'other', key: `segments/team-a/3/${segmentId(1)}.seg` },
      { bucket, key: `segments/team-a/3/${segmentId(1)}.seg`, eventName: 'ObjectRemoved:Delete' },
      { bucket, key: 'state/team-a/3.json' },
      { bucket, key: 'blocks/team-a/3/L1/x.blk' },
    ]);
    const parsed = parseEventMessage(body, bucket);
    assert.ok(parsed.kind === 'records' && parsed.records.every((record) => record.kind === 'ignored'));
  });

  test('planner: a block key under segments/ is malformed', () => {
    const parsed = parseEventMessage(s3EventBody([{ bucket, key: 'segments/team-a/3/L1/x.blk' }]), bucket);
    assert.ok(parsed.kind === 'records' && parsed.records[0]?.kind === 'malformed-key');
  });
});

describe('planner: job messages and configuration', () => {
  test('planner: a job message names tenant, shard and job; group is tenant/shard/L1, or tenant/level for a merge; dedup is the job id, then .rN', () => {
    const { jobs } = cut(stateWith({ pending: pendingSegments(20) }), 1);
    const job = jobs[0]!;
    const message = jobMessage('team-a', 3, job);
    assert.equal(message.groupId, 'team-a/3/L1');
    assert.equal(jobMessage('team-a', 3, { ...job, level: 2 }).groupId, 'team-a/L2');
    assert.equal(jobMessage('team-a', 0, { ...job, level: 2 }).groupId, 'team-a/L2');
    assert.equal(jobMessage('team-a', 3, { ...job, level: 3 }).groupId, 'team-a/L3');
    assert.equal(message.deduplicationId, job.id);
    assert.deepEqual(parseJobMessage(message.body), { v: 1, tenant: 'team-a', shard: 3, jobId: job.id });
    assert.equal(jobMessage('team-a', 3, { ...job, dispatches: 2 }).deduplicationId, dispatchDedupId(job.id, 2));
    assert.ok(jobGroupId('t'.repeat(150), 65535, 1).length <= 128);
    assert.ok(jobGroupId('t'.repeat(150), 65535, 9).length <= 128);
    assert.notEqual(jobGroupId(`${'t'.repeat(150)}a`, 1, 1), jobGroupId(`${'t'.repeat(150)}b`, 1, 1));
  });

  test('planner: a group id gives back the level of its jobs, shortened tenants included; other ids give none', () => {
    for (const [tenant, shard, level] of [['team-a', 3, 1], ['team-a', 0, 2], ['L1', 12, 11], ['t'.repeat(150), 65535, 1], ['t'.repeat(150), 7, 4]] as const) {
      assert.equal(levelOfJobGroup(jobGroupId(tenant, shard, level)), level, `${tenant.slice(0, 10)}/${shard}/L${level}`);
    }
    for (const other of ['team-a/3', 'team-a/L0', 'team-a/L', 'team-a/L01', 'team-a/3/L1x', '']) assert.equal(levelOfJobGroup(other), undefined, other);
  });

  test('planner: configuration comes from the environment, with defaults, and rejects nonsense', () => {
    const config = plannerConfigFromEnv({ STRATA_BUCKET: 'b', STRATA_JOBS_QUEUE_URL: 'q', STRATA_L0_MAX_SEGMENTS: '5', STRATA_L1_MAX_AGE_SECONDS: '1.5' });
    assert.equal(config.limits.levels[0]!.maxItems, 5);
    assert.equal(config.limits.levels[0]!.maxAgeMs, 30_000);
    assert.equal(config.limits.levels[1]!.maxAgeMs, 1_500);
    assert.equal(config.leaseMs, undefined, 'unset: the tick applies its own default');
    assert.equal(plannerConfigFromEnv({ STRATA_BUCKET: 'b', STRATA_JOBS_QUEUE_URL: 'q', STRATA_DISPATCH_LEASE_SECONDS: '90' }).leaseMs, 90_000);
    assert.throws(() => plannerConfigFromEnv({ STRATA_JOBS_QUEUE_URL: 'q' }), /STRATA_BUCKET/);
    assert.throws(() => plannerConfigFromEnv({ STRATA_BUCKET: 'b', STRATA_JOBS_QUEUE_URL: 'q', STRATA_L0_MAX_BYTES: 'lots' }), PlanConfigError);
  });

  test('runner: batchItemFailures follow Lambda’s rules', () => {
    const ids = new Set(['a', 'b', 'c']);
    assert.deepEqual([...failedIds(undefined, ids)], []);
    assert.deepEqual([...failedIds({ batchItemFailures: [] }, ids)], []);
    assert.deepEqual([...failedIds({ batchItemFailures: [{ itemIdentifier: 'b' }] }, ids)], ['b']);
    assert.deepEqual([...failedIds({ batchItemFailures: [{ itemIdentifier: 'zzz' }] }, ids)].sort(), ['a', 'b', 'c']);
    assert.deepEqual([...failedIds({ batchItemFailures: [{ itemIdentifier: '' }] }, ids)].sort(), ['a', 'b', 'c']);
  });
});
