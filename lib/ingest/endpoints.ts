/**
 * The three push endpoints: content negotiation and decoding for each, down to a `ParsedBatch`.
 * Every check that can reject a request happens here, before anything is written.
 */
import { batchFromSeries, noneDropped, type ParsedBatch } from './batch.js';
import { contentEncoding, decodeContentEncoding, decodeGzip, decodeSnappy, isGzip, parseMediaType, parseMultipart } from './body.js';
import type { IngestLimits, IngestRequest } from './contract.js';
import { CorruptPayloadError, InvalidQueryError, UnsupportedMediaTypeError } from './errors.js';
import { parseJsonSamples } from './json.js';
import { decodeProfile, parsePushName, parseSeconds, seriesFromProfile, type SampleTypeDisplay } from './pprof.js';
import { parseRemoteWrite } from './remote-write.js';

export interface ParseContext {
  shardCount: number;
  limits: IngestLimits;
  nowMs: number;
}

export type EndpointName = 'remote-write' | 'pyroscope' | 'json';

export interface Endpoint {
  name: EndpointName;
  parse(request: IngestRequest, context: ParseContext): ParsedBatch;
  /** The answer to a successful push. */
  successStatus: number;
}

export const remoteWriteEndpoint: Endpoint = {
  name: 'remote-write',
  successStatus: 204,
  parse(request, { shardCount, limits, nowMs }) {
    const type = parseMediaType(request.headers['content-type']);
    if (type.type !== 'application/x-protobuf') {
      throw new UnsupportedMediaTypeError(`remote write needs Content-Type application/x-protobuf, got ${describe(type.type)}`);
    }
    const proto = type.params['proto'];
    if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
      throw new UnsupportedMediaTypeError(`remote write message ${JSON.stringify(proto)} is not supported (only 1.0, prometheus.WriteRequest)`);
    }
    const encoding = contentEncoding(request.headers);
    if (encoding !== 'snappy') throw new UnsupportedMediaTypeError(`remote write needs Content-Encoding snappy, got ${describe(encoding)}`);
    const decoded = decodeSnappy(request.body, limits);
    return parseRemoteWrite(decoded, { shardCount, maxTimestampMs: nowMs + limits.maxFutureMs });
  },
};

const octetTypes = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/x-protobuf', 'application/protobuf']);

export const pyroscopeEndpoint: Endpoint = {
  name: 'pyroscope',
  successStatus: 200,
  parse(request, { shardCount, limits, nowMs }) {
    const format = request.query['format'];
    if (format !== undefined && format !== '' && format !== 'pprof') {
      throw new UnsupportedMediaTypeError(`profile format ${JSON.stringify(format)} is not supported (only pprof)`);
    }
    const target = parsePushName(request.query['name']);
    const fromMs = parseSeconds('from', request.query['from']);
    const untilMs = parseSeconds('until', request.query['until']);
    if (fromMs !== undefined && untilMs !== undefined && untilMs < fromMs) throw new InvalidQueryError('until is before from');
    const type = parseMediaType(request.headers['content-type']);
    const body = decodeContentEncoding(request.body, contentEncoding(request.headers), limits);
    let profileBytes: Uint8Array;
    let sampleTypeConfig: Record<string, SampleTypeDisplay> | undefined;
    if (type.type === 'multipart/form-data') {
      const parts = parseMultipart(body, type.params['boundary']);
      const profile = parts.find((part) => part.name === 'profile');
      if (profile === undefined) throw new CorruptPayloadError('multipart', 'the form has no "profile" field');
      if (parts.some((part) => part.name === 'prev_profile')) {
        throw new UnsupportedMediaTypeError('the "prev_profile" field (cumulative profiles of old Go clients) is not supported');
      }
      const config = parts.find((part) => part.name === 'sample_type_config');
      if (config !== undefined) sampleTypeConfig = parseSampleTypeConfig(config.body);
      profileBytes = profile.body;
    } else if (octetTypes.has(type.type)) {
      profileBytes = body;
    } else {
      throw new UnsupportedMediaTypeError(`/ingest takes application/octet-stream or multipart/form-data, got ${describe(type.type)}`);
    }
    if (isGzip(profileBytes)) profileBytes = decodeGzip(profileBytes, limits);
    const profile = decodeProfile(profileBytes);
    const series = seriesFromProfile(profile, { target, fromMs, nowMs, ...(sampleTypeConfig && { sampleTypeConfig }) });
    if (series.length === 0) return { shards: new Map(), seriesCount: 0, sampleCount: 0, dropped: noneDropped() };
    return batchFromSeries(series, { shardCount, maxTimestampMs: nowMs + limits.maxFutureMs });
  },
};

/** The parser tells an array from NDJSON by the content; these say the body is one or the other. */
const jsonTypes = new Set(['application/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']);

export const jsonEndpoint: Endpoint = {
  name: 'json',
  successStatus: 200,
  parse(request, { shardCount, limits, nowMs }) {
    const type = parseMediaType(request.headers['content-type']);
    if (!jsonTypes.has(type.type)) {
      throw new UnsupportedMediaTypeError(`/v1/samples takes application/json or application/x-ndjson, got ${describe(type.type)}`);
    }
    const body = decodeContentEncoding(request.body, contentEncoding(request.headers), limits);
    return batchFromSeries(parseJsonSamples(body), { shardCount, maxTimestampMs: nowMs + limits.maxFutureMs });
  },
};

function parseSampleTypeConfig(bytes: Uint8Array): Record<string, SampleTypeDisplay> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, SampleTypeDisplay>;
  } catch (cause) {
    throw new CorruptPayloadError('multipart', `the sample_type_config field is not a JSON object: ${(cause as Error).message}`, { cause });
  }
}

function describe(value: string): string {
  return value === '' ? 'none' : JSON.stringify(value);
}
