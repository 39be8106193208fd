/**
 * `POST /v1/samples` (the samples JSON of lib/segment/json.ts, as a JSON array or NDJSON) through
 * `handleIngest`: parsing and every rejection.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { handleIngest } from '../../lib/ingest/handler.js';
import { gzip, jsonRequest, labelKey, now, seriesMap, storedSegments, testDeps } from '../helpers/ingest-fixtures.js';

async function ingest(request: ReturnType<typeof jsonRequest>) {
  const deps = testDeps();
  const response = await handleIngest(request, deps);
  return { response, deps, stored: seriesMap(storedSegments(deps.store)) };
}

describe('/v1/samples: what is stored', () => {
  test('a JSON array of records: sample lists, single samples, "metric", special values', async () => {
    const body = JSON.stringify([
      { metric: 'queue_depth', labels: { queue: 'a' }, samples: [[now - 2000, 3], [now - 1000, '+Inf']] },
      { labels: { __name__: 'queue_depth', queue: 'b' }, timestamp: now - 500, value: 'NaN' },
    ]);
    const { response, stored } = await ingest(jsonRequest(body));
    assert.equal(response.status, 200, response.body);
    assert.equal(JSON.parse(response.body).samples, 3);
    assert.deepEqual(stored.get(labelKey([['__name__', 'queue_depth'], ['queue', 'a']])), [[now - 2000, 3], [now - 1000, Infinity]]);
    const b = stored.get(labelKey([['__name__', 'queue_depth'], ['queue', 'b']]))!;
    assert.equal(b[0]![0], now - 500);
    assert.ok(Number.isNaN(b[0]![1]));
  });

  test('NDJSON, one record per line; the same series twice is merged in time order', async () => {
    const lines = [
      { metric: 'jobs_done', labels: { worker: '1' }, timestamp: now - 1000, value: 5 },
      { metric: 'jobs_done', labels: { worker: '1' }, timestamp: now - 3000, value: 4 },
      { metric: 'jobs_done', labels: { worker: '2' }, timestamp: new Date(now - 1000).toISOString(), value: 7 },
    ];
    const { response, stored } = await ingest(jsonRequest(lines.map((l) => JSON.stringify(l)).join('\n') + '\n', 'application/x-ndjson'));
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(stored.get(labelKey([['__name__', 'jobs_done'], ['worker', '1']])), [[now - 3000, 4], [now - 1000, 5]]);
    assert.deepEqual(stored.get(labelKey([['__name__', 'jobs_done'], ['worker', '2']])), [[now - 1000, 7]]);
  });

  test('gzip content encoding', async () => {
    const request = jsonRequest('', 'application/json', { 'content-encoding': 'gzip' });
    request.body = gzip(Buffer.from(JSON.stringify([{ metric: 'x', timestamp: now, value: 1 }])));
    const { response } = await ingest(request);
    assert.equal(response.status, 200, response.body);
  });
});

describe('/v1/samples: rejections write nothing', () => {
  async function rejected(body: string, status: number, pattern: RegExp, contentType = 'application/json') {
    const { response, deps } = await ingest(jsonRequest(body, contentType));
    assert.equal(response.status, status, response.body);
    assert.match(response.body, pattern);
    assert.equal(deps.store.putCalls, 0);
  }
  const one = (record: object) => JSON.stringify([record]);

  test('wrong content type → 415', () => rejected(one({ metric: 'x', timestamp: now, value: 1 }), 415, /application\/json or application\/x-ndjson/, 'text/plain'));
  test('corrupt JSON → 400 naming json', () => rejected('[{"metric": "x",', 400, /corrupt json: not valid JSON/));
  test('corrupt NDJSON line → 400 naming the line', () => rejected(`{"metric":"x","timestamp":${now},"value":1}\n{oops`, 400, /corrupt json: line 2: not valid JSON/, 'application/x-ndjson'));
  test('body not UTF-8 → 400', async () => {
    const request = jsonRequest('', 'application/json');
    request.body = Uint8Array.of(0x5b, 0xff, 0x5d);
    const { response } = await ingest(request);
    assert.equal(response.status, 400);
    assert.match(response.body, /not valid UTF-8/);
  });
  test('non-finite timestamp → 400', () => rejected('[{"metric": "x", "timestamp": 1e400, "value": 1}]', 400, /timestamp Infinity must be an integer/));
  test('fractional timestamp → 400', () => rejected(one({ metric: 'x', timestamp: 1.5, value: 1 }), 400, /must be an integer number of milliseconds/));
  test('timestamp that is not RFC 3339 → 400', () => rejected(one({ metric: 'x', timestamp: 'now', value: 1 }), 400, /not RFC 3339/));
  test('timestamp far in the future → 400', () => rejected(one({ metric: 'x', timestamp: now + 7_200_000, value: 1 }), 400, /too far in the future/));
  test('invalid metric name → 400', () => rejected(one({ metric: 'bad name', timestamp: now, value: 1 }), 400, /metric name "bad name" is not valid/));
  test('missing metric name → 400', () => rejected(one({ labels: { a: 'b' }, timestamp: now, value: 1 }), 400, /no __name__/));
  test('invalid label name → 400', () => rejected(one({ metric: 'x', labels: { 'a.b': 'c' }, timestamp: now, value: 1 }), 400, /label name "a.b"/));
  test('empty label name → 400', () => rejected(one({ metric: 'x', labels: { '': 'c' }, timestamp: now, value: 1 }), 400, /empty name/));
  test('a metric name given twice → 400', () => rejected(one({ metric: 'x', labels: { __name__: 'y' }, timestamp: now, value: 1 }), 400, /give the metric name once/));
  test('a non-string label value → 400', () => rejected(one({ metric: 'x', labels: { a: 1 }, timestamp: now, value: 1 }), 400, /must have a string value/));
  test('a value that is not a number → 400', () => rejected(one({ metric: 'x', timestamp: now, value: 'many' }), 400, /"value" is required/));
  test('an empty body → 400', () => rejected(' ', 400, /holds no samples/));
});
