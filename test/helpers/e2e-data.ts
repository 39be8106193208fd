/**
 * Known data for the end-to-end export tests: the rules, phases of pushes (remote write, JSON
 * samples, pprof profiles), pushing them through the ingest server, and the ground truth computed
 * from the pushed data with plain JavaScript (no code of lib/rules): per rule and group, the count
 * of matching samples, the sum of their values, or the sum of the stack values that contain a
 * function.
 *
 * Every phase pushes the same series (new samples only), so each output series (rule, group,
 * shard) that exists after the first phase gets new counts in every later phase. Values are
 * integers, so every total is exact whatever the order of summation.
 *
 * The chaos campaigns (test/chaos) use the same rules and phases, pushed in-process with a
 * simulated clock (`phaseRequests`), and check stored series against `phaseSeries`.
 */
import snappy from 'snappyjs';
import type { IngestRequest } from '../../lib/ingest/contract.js';
import { pprofBytes, writeRequestBytes } from './ingest-fixtures.js';

export const profileType = 'process_cpu:cpu:nanoseconds:cpu:nanoseconds';
export const gcFunction = 'runtime.gcBgMarkWorker';

/** Every tenant gets these (`default`). Record names start with `e2e:`, so queries can select them all. */
export const rulesYaml = `version: 1
default:
  - id: errors
    record: e2e:http_errors:count
    match: 'http_requests_total{code=~"5.."}'
    group_by: [service]
    aggregation: count
  - id: bytes
    record: e2e:received_bytes:sum
    match: '{__name__=~"received_bytes|ingested_bytes", env!="dev"}'
    group_by: [cluster]
    aggregation: sum
  - id: gc_cpu
    record: e2e:gc_cpu_nanoseconds:sum
    match: '${profileType}{service_name=~"api-.*"}'
    group_by: [service_name]
    function: ${gcFunction}
    labels: { source: e2e }
  - id: cpu
    record: e2e:cpu_nanoseconds:sum
    match: '${profileType}'
    group_by: [service_name]
`;

/** The label each rule groups by (one per rule here). */
export const groupLabelOf: Record<string, string> = { errors: 'service', bytes: 'cluster', gc_cpu: 'service_name', cpu: 'service_name' };
export const recordOf: Record<string, string> = { errors: 'e2e:http_errors:count', bytes: 'e2e:received_bytes:sum', gc_cpu: 'e2e:gc_cpu_nanoseconds:sum', cpu: 'e2e:cpu_nanoseconds:sum' };

export interface PushedSeries {
  labels: Record<string, string>;
  samples: Array<[number, number]>;
}

export interface PushedProfile {
  app: string;
  labels: Record<string, string>;
  timeMs: number;
  /** Function names, leaf first, and the sample's value (nanoseconds). */
  stacks: Array<{ frames: string[]; value: number }>;
}

export interface Phase {
  /** Pushed as Prometheus remote write, one request per service. */
  remoteWrite: PushedSeries[];
  /** Pushed as NDJSON to /v1/samples, one request per cluster. */
  json: PushedSeries[];
  /** Pushed as pprof to /ingest, one request each. */
  profiles: PushedProfile[];
}

/** "rule|label=value" → total. */
export type Totals = Map<string, number>;

export function totalsKey(rule: string, value: string): string {
  return `${rule}|${groupLabelOf[rule]}=${value}`;
}

/** A small deterministic generator (LCG) in [0, 1), so a failure can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = (seed * 2654435761) % 4294967296;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

const httpSeries = [
  { service: 'api-1', code: '200' },
  { service: 'api-1', code: '500' },
  { service: 'api-1', code: '503' },
  { service: 'api-2', code: '200' },
  { service: 'api-2', code: '502' },
  { service: 'api-2', code: '5000' }, // not matched: the regex is anchored
  { service: 'worker', code: '404' },
];

const bytesSeries: Array<Record<string, string>> = [
  { __name__: 'received_bytes', cluster: 'eu-1', namespace: 'shop', env: 'prod' },
  { __name__: 'received_bytes', cluster: 'eu-1', namespace: 'shop', env: 'dev' }, // not matched: env!="dev"
  { __name__: 'received_bytes', cluster: 'us-1', namespace: 'shop', env: 'prod' },
  { __name__: 'ingested_bytes', cluster: 'us-1', namespace: 'batch' }, // no env: matched (the empty value is not "dev")
  { __name__: 'sent_bytes', cluster: 'eu-1', namespace: 'shop', env: 'prod' }, // not matched: name
];

const apps = [
  { app: 'api-1', labels: { env: 'prod' } },
  { app: 'api-2', labels: { env: 'prod' } },
  { app: 'worker-1', labels: { env: 'prod' } }, // the function rule skips it (service_name=~"api-.*"), the cpu rule does not
];

const stackShapes = [
  ['encoding/json.Marshal', 'handler', 'main'],
  [gcFunction, 'runtime.gcStart', 'main'],
  [gcFunction],
  ['db.Query', 'handler', 'main'],
  ['runtime.mallocgc', gcFunction, 'main'], // the function in the middle of the stack
];

/** How far past its base time a phase stamps samples: phases whose bases are this far apart never share a timestamp. */
export const phaseSpanMs = 2_000;

/**
 * Phase `index` of a test: every series above gets 1–4 new samples, every app 1–2 profiles.
 * Timestamps are unique per series: the phase's base time (default now − 30 s) plus offsets
 * below `phaseSpanMs`; phases of one test are seconds apart.
 */
export function makePhase(index: number, seed: number, base = Date.now() - 30_000): Phase {
  const next = seededRandom(seed * 1000 + index + 1);
  const remoteWrite = httpSeries.map(({ service, code }, s) => {
    const count = 1 + Math.floor(next() * 4);
    return {
      labels: { __name__: 'http_requests_total', service, code, instance: 'i-1' },
      samples: Array.from({ length: count }, (_, j): [number, number] => [base + s * 100 + j * 10, 1000 * index + j]),
    };
  });
  const json = bytesSeries.map((labels, s) => {
    const count = 1 + Math.floor(next() * 4);
    return { labels, samples: Array.from({ length: count }, (_, j): [number, number] => [base + s * 100 + j * 10, 100 + Math.floor(next() * 10_000)]) };
  });
  const profiles: PushedProfile[] = [];
  apps.forEach(({ app, labels }, a) => {
    const count = 1 + Math.floor(next() * 2);
    for (let p = 0; p < count; p++) {
      profiles.push({
        app,
        labels,
        timeMs: base + 1000 + a * 100 + p * 20,
        stacks: stackShapes.map((frames) => ({ frames, value: 1_000_000 * (1 + Math.floor(next() * 50)) })),
      });
    }
  });
  return { remoteWrite, json, profiles };
}

/** A series as ingest stores it, in plain data: labels, samples, and a profile's stacks by function name (leaf first). */
export interface TruthSeries {
  labels: Record<string, string>;
  samples: Array<[number, number]>;
  stacks: Array<{ timestamp: number; frames: string[]; value: number }>;
}

/**
 * The series a phase stores: metrics as pushed; per profile, one series named by the profile type
 * with `service_name` and the pushed labels, whose one sample is the profile's total.
 */
export function phaseSeries(phase: Phase): TruthSeries[] {
  const metrics = [...phase.remoteWrite, ...phase.json].map(({ labels, samples }) => ({ labels, samples, stacks: [] }));
  const profiles = phase.profiles.map((profile) => ({
    labels: { __name__: profileType, service_name: profile.app, ...profile.labels },
    samples: [[profile.timeMs, profile.stacks.reduce((sum, stack) => sum + stack.value, 0)] as [number, number]],
    stacks: profile.stacks.map((stack) => ({ timestamp: profile.timeMs, frames: stack.frames, value: stack.value })),
  }));
  return [...metrics, ...profiles];
}

/** The ground truth of some phases, from the pushed data alone. */
export function groundTruth(phases: readonly Phase[]): Totals {
  return truthOf(phases.flatMap(phaseSeries));
}

/**
 * The rules of `rulesYaml` evaluated by hand over series: per rule and group, the count or sum of
 * the matching finite values (NaN and ±Inf are skipped, as lib/rules does).
 */
export function truthOf(series: readonly TruthSeries[]): Totals {
  const totals: Totals = new Map();
  const add = (rule: string, labels: Record<string, string>, value: number) => {
    const key = totalsKey(rule, labels[groupLabelOf[rule]!] ?? '');
    totals.set(key, (totals.get(key) ?? 0) + value);
  };
  for (const { labels, samples, stacks } of series) {
    const name = labels['__name__'];
    const values = samples.map(([, value]) => value).filter(Number.isFinite);
    if (name === 'http_requests_total' && /^5..$/.test(labels['code'] ?? '')) add('errors', labels, values.length);
    if ((name === 'received_bytes' || name === 'ingested_bytes') && labels['env'] !== 'dev') add('bytes', labels, values.reduce((a, b) => a + b, 0));
    if (name === profileType) {
      add('cpu', labels, values.reduce((a, b) => a + b, 0));
      if (/^api-.*$/.test(labels['service_name'] ?? '')) {
        const gc = stacks.filter((stack) => stack.frames.includes(gcFunction) && Number.isFinite(stack.value));
        if (gc.length > 0) add('gc_cpu', labels, gc.reduce((sum, stack) => sum + stack.value, 0));
      }
    }
  }
  return totals;
}

/** a − b, key by key (keys of a). */
export function difference(a: Totals, b: Totals): Totals {
  return new Map([...a].map(([key, value]) => [key, value - (b.get(key) ?? 0)]));
}

/** One push of a phase, the status that acknowledges it, and the series it stores. */
export interface PhaseRequest {
  endpoint: 'remote-write' | 'json' | 'pyroscope';
  request: IngestRequest;
  expected: number;
  series: TruthSeries[];
}

/** The pushes of a phase as tenant `tenant`: remote write per service, NDJSON per cluster, pprof per profile. */
export function phaseRequests(tenant: string, phase: Phase): PhaseRequest[] {
  const tenantHeader = { 'x-scope-orgid': tenant };
  const post = (endpoint: PhaseRequest['endpoint'], path: string, query: Record<string, string>, headers: Record<string, string>, body: Uint8Array, expected: number, part: Partial<Phase>): PhaseRequest => ({
    endpoint,
    request: { method: 'POST', path, query, headers: { ...headers, ...tenantHeader }, body },
    expected,
    series: phaseSeries({ remoteWrite: [], json: [], profiles: [], ...part }),
  });
  const requests: PhaseRequest[] = [];
  const services = [...new Set(phase.remoteWrite.map((series) => series.labels['service']!))];
  for (const service of services) {
    const remoteWrite = phase.remoteWrite.filter((series) => series.labels['service'] === service);
    const headers = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' };
    requests.push(post('remote-write', '/api/v1/push', {}, headers, snappy.compress(writeRequestBytes(remoteWrite)), 204, { remoteWrite }));
  }
  const clusters = [...new Set(phase.json.map((series) => series.labels['cluster']!))];
  for (const cluster of clusters) {
    const json = phase.json.filter((series) => series.labels['cluster'] === cluster);
    const lines = json.map((series) => JSON.stringify({ labels: series.labels, samples: series.samples }));
    requests.push(post('json', '/v1/samples', {}, { 'content-type': 'application/x-ndjson' }, Buffer.from(lines.join('\n') + '\n'), 200, { json }));
  }
  for (const profile of phase.profiles) {
    const body = pprofBytes({
      sampleTypes: [['cpu', 'nanoseconds']],
      periodType: ['cpu', 'nanoseconds'],
      timeNanos: BigInt(profile.timeMs) * 1_000_000n,
      samples: profile.stacks.map((stack) => ({ stack: stack.frames, values: [stack.value] })),
    });
    const name = `${profile.app}{${Object.entries(profile.labels).map(([k, v]) => `${k}=${v}`).join(',')}}`;
    requests.push(post('pyroscope', '/ingest', { name, format: 'pprof', spyName: 'e2e' }, { 'content-type': 'application/octet-stream' }, body, 200, { profiles: [profile] }));
  }
  return requests;
}

/** Pushes a phase through the ingest server, as tenant `tenant`; every push must be acknowledged. */
export async function pushPhase(ingestUrl: string, tenant: string, phase: Phase): Promise<void> {
  await Promise.all(
    phaseRequests(tenant, phase).map(async ({ request, expected }) => {
      const query = new URLSearchParams(request.query).toString();
      const url = `${ingestUrl}${request.path}${query === '' ? '' : `?${query}`}`;
      const response = await fetch(url, { method: 'POST', headers: request.headers, body: request.body });
      const text = await response.text();
      if (response.status !== expected) throw new Error(`POST ${url} answered ${response.status} (expected ${expected}): ${text}`);
    }),
  );
}
