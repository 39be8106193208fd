/**
 * The ingest core: `handleIngest(request, deps)` routes a plain request to its endpoint, checks
 * tenant, key and size, parses everything, and only then writes one segment per (tenant, shard)
 * with create-if-absent. Lambda (functions/ingest.ts) and the local server (server.ts) both call it.
 */
import { AwsAccessError } from '../aws/errors.js';
import type { Logger } from '../log/logger.js';
import { authenticate, tenantOf } from './auth.js';
import type { ParsedBatch } from './batch.js';
import { checkBodySize } from './body.js';
import type { IngestDeps, IngestRequest, IngestResponse, SegmentStore } from './contract.js';
import { jsonEndpoint, pyroscopeEndpoint, remoteWriteEndpoint, type Endpoint } from './endpoints.js';
import { IngestError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, StorageUnavailableError } from './errors.js';
import { buildSegment, type BuiltSegment } from '../segment/build.js';
import { SeriesTooLargeError } from '../segment/errors.js';

const routes: Readonly<Record<string, Endpoint>> = {
  '/api/v1/push': remoteWriteEndpoint,
  '/api/v1/write': remoteWriteEndpoint,
  '/ingest': pyroscopeEndpoint,
  '/v1/samples': jsonEndpoint,
};

export const segmentContentType = 'application/vnd.strata.segment';

export interface WriteOutcome {
  segment: BuiltSegment;
  /** "existing": the same content was already stored under this key (a retry). */
  outcome: 'written' | 'existing';
}

export async function handleIngest(request: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  const started = deps.clock();
  let tenant: string | undefined;
  let endpoint: Endpoint | undefined;
  try {
    if (request.path === '/ready' && (request.method === 'GET' || request.method === 'HEAD')) return text(200, 'ready');
    endpoint = routes[normalizePath(request.path)];
    if (endpoint === undefined) throw new NotFoundError(`no endpoint at ${request.path} (try /api/v1/push, /ingest or /v1/samples)`);
    if (request.method !== 'POST') throw new MethodNotAllowedError(`${request.path} takes POST, not ${request.method}`, 'POST');
    tenant = tenantOf(request.headers);
    await authenticate(request.headers, tenant, deps.config.apiKeys);
    checkBodySize(request.body, deps.config.limits);
    const batch = endpoint.parse(request, { shardCount: deps.config.shardCount, limits: deps.config.limits, nowMs: started });
    const outcomes = await writeBatch(batch, tenant, deps);
    const written = outcomes.filter((o) => o.outcome === 'written').length;
    deps.logger.info('request ingested', {
      tenant,
      endpoint: endpoint.name,
      series: batch.seriesCount,
      samples: batch.sampleCount,
      segmentsWritten: written,
      segmentsExisting: outcomes.length - written,
      dropped: batch.dropped,
      durationMs: deps.clock() - started,
    });
    if (endpoint.successStatus === 204) return { status: 204, headers: {}, body: '' };
    return json(endpoint.successStatus, {
      series: batch.seriesCount,
      samples: batch.sampleCount,
      segments: outcomes.map(({ segment, outcome }) => ({ key: segment.key, outcome })),
    });
  } catch (error) {
    return errorResponse(error, deps.logger, { tenant, endpoint: endpoint?.name, path: request.path });
  }
}

/**
 * Builds every shard's segment, then writes them all with create-if-absent (in parallel). A 412
 * means the identical content is already stored — a retry — and counts as success. Any failure
 * makes the whole request a 503 after all writes have settled; the client's retry then finds the
 * segments that did land and writes the rest.
 */
export async function writeBatch(batch: ParsedBatch, tenant: string, deps: IngestDeps): Promise<WriteOutcome[]> {
  const { config } = deps;
  const createdAtMs = deps.clock();
  // Every segment is built before the first write, so a series the format cannot hold is a 413
  // with nothing stored, not a segment the compactor would quarantine after a 2xx.
  let segments: BuiltSegment[];
  try {
    segments = [...batch.shards.entries()]
      .sort(([a], [b]) => a - b)
      .map(([shard, series]) =>
        buildSegment({ tenant, shard, shardCount: config.shardCount, createdBy: config.createdBy, createdAtMs }, series, config.chunkTargetBytes),
      );
  } catch (error) {
    if (error instanceof SeriesTooLargeError) throw new PayloadTooLargeError(error.message, { cause: error, tenant });
    throw error;
  }
  const results = await Promise.allSettled(segments.map((segment) => writeSegment(deps.store, segment, deps.logger.child({ tenant }))));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) {
    const cause: unknown = failed.reason;
    if (cause instanceof IngestError) throw cause;
    throw new StorageUnavailableError(`could not store the segments, retry the request: ${(cause as Error).message}`, { cause, tenant });
  }
  return results.map((result, i) => ({ segment: segments[i]!, outcome: (result as PromiseFulfilledResult<'written' | 'existing'>).value }));
}

async function writeSegment(store: SegmentStore, segment: BuiltSegment, logger: Logger): Promise<'written' | 'existing'> {
  const fields = { shard: segment.shard, segmentKey: segment.key, series: segment.seriesCount, samples: segment.sampleCount };
  let result;
  try {
    result = await store.putIfAbsent(segment.key, segment.bytes, { contentType: segmentContentType });
  } catch (error) {
    logger.error('segment write failed', { ...fields, error: error instanceof AwsAccessError ? error : String(error) });
    throw error;
  }
  switch (result.outcome) {
    case 'written':
      logger.debug('segment written', fields);
      return 'written';
    case 'precondition-failed':
      logger.info('segment already stored, acknowledging retry', fields);
      return 'existing';
    default:
      // 409: an identical write is in flight right now (a concurrent retry); let the client retry.
      logger.warn('segment write conflicted, asking the client to retry', { ...fields, outcome: result.outcome });
      throw new StorageUnavailableError(`segment ${segment.key}: concurrent write in progress, retry the request`);
  }
}

/** Maps any error to a response; IngestErrors carry their status, anything else is a 500. Logged once. */
export function errorResponse(error: unknown, logger: Logger, context: { tenant?: string | undefined; endpoint?: string | undefined; path?: string }): IngestResponse {
  if (error instanceof IngestError) {
    const fields = { ...context, tenant: error.tenant ?? context.tenant, status: error.status, reason: error.message, errorName: error.name };
    if (error.status >= 500) logger.error('request failed', { ...fields, error });
    else logger.warn('request rejected', fields);
    const response = text(error.status, error.message);
    if (error instanceof MethodNotAllowedError) response.headers['allow'] = error.allow;
    if (error.status === 401) response.headers['www-authenticate'] = 'Bearer realm="strata"';
    if (error.status === 503) response.headers['retry-after'] = '1';
    return response;
  }
  logger.error('request failed unexpectedly', { ...context, error });
  return text(500, 'internal error');
}

function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function text(status: number, body: string): IngestResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: body + '\n' };
}

function json(status: number, value: unknown): IngestResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}
