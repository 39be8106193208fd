/**
 * The load benchmark's attribution (test/bench/load/usage.ts): from what `strata dev` metered to the
 * cost model's input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PipelineUsage } from '../../cli/pipeline.js';
import type { RequestCount } from '../../lib/local/request-meter.js';
import { attributeUsage, awsLatencyMsPerRequest } from '../bench/load/usage.js';

function count(caller: string, service: RequestCount['service'], operation: string, resource: string, priceClass: RequestCount['priceClass'], requests: number): RequestCount {
  return { caller, service, operation, resource, priceClass, requests, units: requests, errors: 0 };
}

const measured: PipelineUsage = {
  functions: {
    ingest: { invocations: 10, billedMs: 1000, cpuMs: 400 },
    planner: { invocations: 4, billedMs: 800, cpuMs: 100 },
    compactor: { invocations: 2, billedMs: 3000, cpuMs: 300 },
    tick: { invocations: 1, billedMs: 50, cpuMs: 20 },
  },
  emptyReceives: { planner: 7, compactor: 3 },
  requests: [
    count('strata-ingest', 's3', 'PutObject', 'segments/', 's3-tier1', 40),
    count('strata-planner', 's3', 'HeadObject', 'segments/', 's3-tier2', 40),
    count('strata-planner', 's3', 'PutObject', 'state/', 's3-tier1', 5),
    count('strata-planner', 'sqs', 'SendMessageBatch', 'strata-dev-jobs.fifo', 'sqs-fifo', 2),
    count('strata-compactor', 's3', 'GetObject', 'segments/', 's3-tier2', 40),
    count('strata-compactor', 's3', 'PutObject', 'blocks/', 's3-tier1', 2),
    count('strata-tick', 's3', 'ListObjectsV2', 'segments/', 's3-tier1', 3),
    count('strata-planner-event-source', 'sqs', 'ReceiveMessage', 'strata-dev-events', 'sqs-standard', 12),
    count('strata-planner-event-source', 'sqs', 'DeleteMessageBatch', 'strata-dev-events', 'sqs-standard', 4),
    count('strata-compactor-event-source', 'sqs', 'ReceiveMessage', 'strata-dev-jobs.fifo', 'sqs-fifo', 5),
    count('strata-bench', 's3', 'GetObject', 'state/', 's3-tier2', 9),
  ],
};

const facts = { samples: 20_000, seriesPerRequest: 500, shardCount: 4, segmentsPerJob: 20 };

describe('load bench usage attribution', () => {
  test('empty polls are the event source of the caller that made them, left out and reported apart', () => {
    const { usage, excluded } = attributeUsage(measured, facts);

    const requests = usage['CPU time + AWS latency'].requests;
    const units = (label: string) => requests.find((request) => request.label === label)?.units;
    assert.equal(units('planner-event-source ReceiveMessage strata-dev-events'), 12 - 7);
    assert.equal(units('compactor-event-source ReceiveMessage strata-dev-jobs.fifo'), 5 - 3);
    assert.equal(units('planner-event-source DeleteMessageBatch strata-dev-events'), 4);
    assert.deepEqual(excluded, [
      { label: 'planner-event-source ReceiveMessage strata-dev-events: empty polls', requests: 7 },
      { label: 'compactor-event-source ReceiveMessage strata-dev-jobs.fifo: empty polls', requests: 3 },
      { label: 'bench GetObject state/ (not the pipeline)', requests: 9 },
    ]);
  });

  test('each request grows with its driver; every segment written is an S3 event notification', () => {
    const { requests } = attributeUsage(measured, facts).usage['CPU time + AWS latency'];

    assert.deepEqual(
      Object.fromEntries(requests.map((request) => [request.label, request.driver])),
      {
        'ingest PutObject segments/': 'segment',
        'planner HeadObject segments/': 'segment',
        'planner PutObject state/': 'segment',
        'planner SendMessageBatch strata-dev-jobs.fifo': 'job',
        'compactor GetObject segments/': 'segment',
        'compactor PutObject blocks/': 'job',
        'tick ListObjectsV2 segments/': 'minute',
        'planner-event-source ReceiveMessage strata-dev-events': 'segment',
        'planner-event-source DeleteMessageBatch strata-dev-events': 'segment',
        'compactor-event-source ReceiveMessage strata-dev-jobs.fifo': 'job',
        'S3 event notifications to the events queue': 'segment',
      },
    );
    assert.equal(requests.find((request) => request.label === 'S3 event notifications to the events queue')?.units, 40);
  });

  test("functions: their drivers, and on each basis the measured time with the latency of the function's own requests", () => {
    const { usage } = attributeUsage(measured, facts);

    const functions = (basis: keyof typeof usage) =>
      Object.fromEntries(usage[basis].functions.map((fn) => [fn.name, [fn.invocationDriver, fn.durationDriver, fn.measuredMs, fn.latencyMsPerRequest]]));
    assert.deepEqual(functions('local wall time'), {
      ingest: ['request', 'sample', 1000, 0],
      planner: ['segment', 'segment', 800, 0],
      compactor: ['job', 'sample', 3000, 0],
      tick: ['minute', 'minute', 50, 0],
    });
    assert.deepEqual(functions('CPU time + AWS latency'), {
      ingest: ['request', 'sample', 400, awsLatencyMsPerRequest],
      planner: ['segment', 'segment', 100, awsLatencyMsPerRequest],
      compactor: ['job', 'sample', 300, awsLatencyMsPerRequest],
      tick: ['minute', 'minute', 20, awsLatencyMsPerRequest],
    });
    // The event sources' requests are not the planner's or the compactor's.
    assert.deepEqual(
      Object.fromEntries(usage['CPU time'].functions.map((fn) => [fn.name, fn.requestsMade])),
      { ingest: { segment: 40 }, planner: { segment: 45, job: 2 }, compactor: { segment: 40, job: 2 }, tick: { minute: 3 } },
    );
  });
});
