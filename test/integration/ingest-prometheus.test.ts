/**
 * A real Prometheus 2.42 scrapes itself every second and remote-writes to the ingest server on the
 * embedded stack, through a proxy that captures each request byte for byte. The segments read back
 * through the AWS SDK must hold exactly the series and samples that the captured requests decode
 * to with an independent decoder (snappyjs + protobufjs' generated WriteRequest).
 *
 * Prometheus authenticates with a bearer API key. Debian's Prometheus 2.42 does not send
 * `remote_write.headers` (prometheus/prometheus#13030, checked here), so it cannot set
 * X-Scope-OrgID and its pushes land in the default tenant, `anonymous`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import snappy from 'snappyjs';
import { prometheus } from '../../lib/gen/prometheus.js';
import { startCaptureProxy, type CaptureProxy } from '../helpers/ingest-capture.js';
import { staticApiKeys } from '../../lib/ingest/auth.js';
import { ingestConfig } from '../../lib/ingest/config.js';
import { labelKey } from '../helpers/ingest-fixtures.js';
import { requirePrometheus, startPrometheus } from '../helpers/ingest-prometheus.js';
import { startIngestStack, type IngestStack } from '../helpers/ingest-stack.js';

const apiKey = 'prometheus-e2e-key';
let stack: IngestStack;
let proxy: CaptureProxy;

before(async () => {
  stack = await startIngestStack(ingestConfig({ apiKeys: staticApiKeys(JSON.stringify({ anonymous: apiKey })) }));
  proxy = await startCaptureProxy(stack.server.url);
});

after(async () => {
  await proxy?.stop();
  await stack?.stop();
});

test('prometheus remote write: the segments hold exactly what Prometheus sent', { timeout: 120_000 }, async (t) => {
  const binary = requirePrometheus(t);
  if (binary === undefined) return;
  const server = await startPrometheus(binary, {
    config: (port) => `
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:${port}']
remote_write:
  - url: ${proxy.url}/api/v1/push
    authorization:
      credentials: ${apiKey}
    remote_timeout: 10s
    queue_config:
      batch_send_deadline: 1s
      max_samples_per_send: 2000
      min_backoff: 100ms
      max_backoff: 1s
    metadata_config:
      send: true
      send_interval: 2s
`,
  });
  try {
    // Wait for several requests carrying samples (a few scrapes' worth), then stop Prometheus.
    const deadline = Date.now() + 60_000;
    while (sampleRequests(proxy).length < 4) {
      if (Date.now() > deadline) assert.fail(`too few remote-write requests within 60 s:\n${server.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await server.stop(); // SIGTERM: Prometheus flushes its queue before it exits
  }

  assert.ok(proxy.captured.length > 0);
  for (const request of proxy.captured) {
    assert.equal(request.status, 204, `ingest answered ${request.status} to ${request.url}`);
    assert.equal(request.headers['content-encoding'], 'snappy');
    assert.match(request.headers['user-agent'] ?? '', /Prometheus\/2\.42/);
    assert.equal(request.headers['authorization'], `Bearer ${apiKey}`);
  }

  // The independent decode. A body sent twice (a retry) counts once: that is the contract.
  const expected = new Map<string, Array<[number, number]>>();
  const distinct = new Map(proxy.captured.map((r) => [createHash('sha256').update(r.body).digest('hex'), r.body]));
  let expectedSamples = 0;
  for (const body of distinct.values()) {
    for (const ts of prometheus.WriteRequest.decode(snappy.uncompress(body)).timeseries) {
      const samples = (ts.samples ?? []).map((s): [number, number] => [s.timestamp ?? 0, s.value ?? 0]);
      if (samples.length === 0) continue;
      const key = labelKey((ts.labels ?? []).map((l) => [l.name ?? '', l.value ?? '']));
      expected.set(key, [...(expected.get(key) ?? []), ...samples]);
      expectedSamples += samples.length;
    }
  }

  const segments = await stack.readSegments();
  assert.ok(segments.length > 0);
  const stored = new Map<string, Array<[number, number]>>();
  let storedSamples = 0;
  for (const segment of segments) {
    assert.equal(segment.header.tenant, 'anonymous');
    assert.match(segment.header.createdBy, /^strata-ingest\//);
    for (const series of segment.series) {
      const key = labelKey(series.labels.map((l) => [l.name, l.value]));
      stored.set(key, [...(stored.get(key) ?? []), ...series.samples.map((s): [number, number] => [s.timestamp, s.value])]);
      storedSamples += series.samples.length;
    }
  }
  const sortSamples = (map: Map<string, Array<[number, number]>>) =>
    new Map([...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, samples]) => [key, [...samples].sort((a, b) => a[0] - b[0] || a[1] - b[1])]));
  assert.equal(storedSamples, expectedSamples);
  assert.equal(stored.size, expected.size);
  assert.deepEqual(sortSamples(stored), sortSamples(expected));
  assert.ok(stored.has(labelKey([['__name__', 'up'], ['instance', expectedInstance(expected)], ['job', 'prometheus']])), 'up{job="prometheus"} was stored');
  t.diagnostic(`${distinct.size} requests, ${expected.size} series, ${expectedSamples} samples, ${segments.length} segments`);
});

function sampleRequests(capture: CaptureProxy) {
  return capture.captured.filter((r) => prometheus.WriteRequest.decode(snappy.uncompress(r.body)).timeseries.length > 0);
}

function expectedInstance(expected: Map<string, unknown>): string {
  for (const key of expected.keys()) {
    const labels = new Map(JSON.parse(key) as Array<[string, string]>);
    if (labels.get('__name__') === 'up') return labels.get('instance') ?? '';
  }
  return '';
}
