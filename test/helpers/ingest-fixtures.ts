/**
 * Factories for the ingest tests: an in-memory ObjectStore (with write counting and failure
 * injection), remote-write, pprof and Lambda-event builders, and readers for what was stored.
 */
import { gzipSync } from 'node:zlib';
import snappy from 'snappyjs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ConditionalPutResult } from '../../lib/aws/contract.js';
import { AwsAccessError } from '../../lib/aws/errors.js';
import { perftools } from '../../lib/gen/pprof.js';
import { prometheus } from '../../lib/gen/prometheus.js';
import { ingestConfig } from '../../lib/ingest/config.js';
import type { IngestConfig, IngestDeps, IngestRequest } from '../../lib/ingest/contract.js';
import { silentLogger, type LogFields, type Logger } from '../../lib/log/logger.js';
import { MemoryObjectStore } from './metastore-memory.js';
import { decodeFile, type FileHeader, type Series } from '../../lib/segment/format.js';
import { parseDataKey } from '../../lib/segment/keys.js';

export const now = 1_700_000_000_000;

/** The unit tests' in-memory store, counting create-if-absent writes; `failPuts` makes the next N throw like an S3 outage. */
export class MemoryStore extends MemoryObjectStore {
  putCalls = 0;
  failPuts = 0;

  override async putIfAbsent(key: string, body: Uint8Array): Promise<ConditionalPutResult> {
    this.putCalls++;
    if (this.failPuts > 0) {
      this.failPuts--;
      throw new AwsAccessError(`PutObject s3://memory/${key} failed: SlowDown (HTTP 503): reduce your request rate`, { operation: 'PutObject', key });
    }
    return super.putIfAbsent(key, body);
  }
}

/** A logger that keeps every line, to check what was (and was not) logged. */
export function recordingLogger(): Logger & { lines: Array<{ level: string; message: string; fields: LogFields }> } {
  const lines: Array<{ level: string; message: string; fields: LogFields }> = [];
  const make = (base: LogFields): Logger => ({
    debug: (message, fields = {}) => lines.push({ level: 'debug', message, fields: { ...base, ...fields } }),
    info: (message, fields = {}) => lines.push({ level: 'info', message, fields: { ...base, ...fields } }),
    warn: (message, fields = {}) => lines.push({ level: 'warn', message, fields: { ...base, ...fields } }),
    error: (message, fields = {}) => lines.push({ level: 'error', message, fields: { ...base, ...fields } }),
    child: (fields) => make({ ...base, ...fields }),
  });
  return Object.assign(make({}), { lines });
}

export function testDeps(overrides: Partial<Omit<IngestDeps, 'config'>> & { config?: Partial<IngestConfig> } = {}): IngestDeps & { store: MemoryStore } {
  const { config, ...rest } = overrides;
  return {
    store: new MemoryStore(),
    clock: () => now,
    logger: silentLogger,
    ...rest,
    config: { ...ingestConfig(), ...config },
  } as IngestDeps & { store: MemoryStore };
}

export interface TimeSeriesInput {
  labels: Record<string, string> | Array<[string, string]>;
  samples: Array<[number, number]>;
  exemplars?: Array<{ labels: Record<string, string>; value: number; timestamp: number }>;
  histograms?: number;
}

/** A WriteRequest protobuf encoded with the generated (independent) code; labels in the given order. */
export function writeRequestBytes(series: TimeSeriesInput[], metadata = 0): Uint8Array {
  return prometheus.WriteRequest.encode({
    timeseries: series.map((s) => ({
      labels: (Array.isArray(s.labels) ? s.labels : Object.entries(s.labels)).map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([timestamp, value]) => ({ timestamp, value })),
      exemplars: (s.exemplars ?? []).map((e) => ({ labels: Object.entries(e.labels).map(([name, value]) => ({ name, value })), value: e.value, timestamp: e.timestamp })),
      histograms: Array.from({ length: s.histograms ?? 0 }, (_, i) => ({ countInt: 3, sum: 1.5, schema: 0, timestamp: now - i })),
    })),
    metadata: Array.from({ length: metadata }, (_, i) => ({ type: 1, metricFamilyName: `m${i}`, help: 'help', unit: '' })),
  }).finish();
}

export function remoteWriteRequest(body: Uint8Array, headers: Record<string, string> = {}, compress = true): IngestRequest {
  return {
    method: 'POST',
    path: '/api/v1/push',
    query: {},
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      ...headers,
    },
    body: compress ? snappy.compress(body) : body,
  };
}

export interface ProfileInput {
  sampleTypes: Array<[string, string]>;
  periodType?: [string, string];
  /** Written exactly when a bigint; a number is written as the encoder would, its double's value. */
  timeNanos?: number | bigint;
  /** Stacks given as function names, leaf first; labels as key/value strings. */
  samples: Array<{ stack: string[]; values: number[]; labels?: Record<string, string>; numLabels?: Record<string, number> }>;
}

/** Encodes a pprof Profile with the generated code. Each distinct function gets one location. */
export function pprofBytes(input: ProfileInput): Uint8Array {
  const strings = [''];
  const s = (value: string) => {
    let index = strings.indexOf(value);
    if (index < 0) index = strings.push(value) - 1;
    return index;
  };
  const functionIds = new Map<string, number>();
  const fid = (name: string) => {
    let id = functionIds.get(name);
    if (id === undefined) functionIds.set(name, (id = functionIds.size + 1));
    return id;
  };
  const samples = input.samples.map((sample) => ({
    locationId: sample.stack.map(fid),
    value: sample.values,
    label: [
      ...Object.entries(sample.labels ?? {}).map(([key, value]) => ({ key: s(key), str: s(value) })),
      ...Object.entries(sample.numLabels ?? {}).map(([key, num]) => ({ key: s(key), num })),
    ],
  }));
  const sampleType = input.sampleTypes.map(([type, unit]) => ({ type: s(type), unit: s(unit) }));
  const periodType = input.periodType ? { type: s(input.periodType[0]), unit: s(input.periodType[1]) } : undefined;
  const functions = [...functionIds].map(([name, id]) => ({ id, name: s(name), systemName: s(name), filename: s('app.js') }));
  const locations = [...functionIds].map(([, id]) => ({ id, line: [{ functionId: id, line: 1 }] }));
  const timeNanos = input.timeNanos ?? 0;
  const encoded = perftools.profiles.Profile.encode({
    sampleType,
    sample: samples,
    location: locations,
    function: functions,
    stringTable: strings,
    timeNanos: typeof timeNanos === 'bigint' ? 0 : timeNanos,
    ...(periodType && { periodType }),
    period: 10_000_000,
  }).finish();
  // The encoder takes int64s as doubles: an exact time_nanos goes after the rest (fields may come in any order).
  return typeof timeNanos === 'bigint' ? Buffer.concat([encoded, Uint8Array.of((9 << 3) | 0, ...varint64(timeNanos))]) : encoded;
}

/** A protobuf varint of a 64-bit integer, bytes least significant first. */
function varint64(value: bigint): number[] {
  const bytes: number[] = [];
  for (let rest = BigInt.asUintN(64, value); ; rest >>= 7n) {
    if (rest < 0x80n) return [...bytes, Number(rest)];
    bytes.push(Number(rest & 0x7fn) | 0x80);
  }
}

export function pyroscopeRequest(body: Uint8Array, query: Record<string, string>, headers: Record<string, string> = {}): IngestRequest {
  return { method: 'POST', path: '/ingest', query, headers: { 'content-type': 'application/octet-stream', ...headers }, body };
}

export function multipartBody(boundary: string, fields: Array<{ name: string; body: Uint8Array; filename?: string }>): Uint8Array {
  const parts: Buffer[] = [];
  for (const field of fields) {
    const filename = field.filename === undefined ? '' : `; filename="${field.filename}"`;
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field.name}"${filename}\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(Buffer.from(field.body), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(parts);
}

export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}

export function jsonRequest(body: string, contentType = 'application/json', headers: Record<string, string> = {}): IngestRequest {
  return { method: 'POST', path: '/v1/samples', query: {}, headers: { 'content-type': contentType, ...headers }, body: Buffer.from(body) };
}

export function lambdaEvent(request: IngestRequest, base64 = true): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(request.query).toString();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString,
    headers: request.headers,
    requestContext: {
      accountId: 'anonymous',
      apiId: 'ingest',
      domainName: 'ingest.lambda-url.us-east-1.on.aws',
      domainPrefix: 'ingest',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '14/Nov/2023:22:13:20 +0000',
      timeEpoch: now,
    },
    body: base64 ? Buffer.from(request.body).toString('base64') : Buffer.from(request.body).toString('utf8'),
    isBase64Encoded: base64,
  };
}

export interface StoredSegment {
  key: string;
  header: FileHeader;
  series: Series[];
}

/** Every stored segment, opened with the header checked against its key and every series validated. */
export function storedSegments(store: MemoryObjectStore): StoredSegment[] {
  return [...store.objects.entries()]
    .filter(([key]) => key.startsWith('segments/'))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, { body }]) => ({ key, ...decodeFile(body, { expectKey: parseDataKey(key) }) }));
}

/** Series from all segments as `name{a="b"} → samples`, for comparing with what was sent. */
export function seriesMap(segments: readonly StoredSegment[]): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const segment of segments) {
    for (const series of segment.series) {
      out.set(labelKey(series.labels.map((l) => [l.name, l.value])), series.samples.map((s) => [s.timestamp, s.value]));
    }
  }
  return out;
}

export function labelKey(labels: ReadonlyArray<readonly [string, string]>): string {
  return JSON.stringify([...labels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
