/**
 * Lambda: a Function URL or HTTP API (payload format 2.0) in front of the ingest core. Turns the
 * event into an `IngestRequest` (base64 bodies decoded), builds the dependencies once per
 * container from the environment, and maps the `IngestResponse` back. The local server
 * (lib/ingest/server.ts) calls the same core, `handleIngest`.
 *
 * Environment: STRATA_BUCKET (required), STRATA_LOG_LEVEL (info), AWS_* for S3 (segments are written
 * through `DirectS3ObjectStore` as every function's objects are, from the same S3 client settings),
 * and the ingest variables listed in lib/ingest/config.ts (STRATA_SHARD_COUNT, STRATA_API_KEYS, limits).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createS3Client, type Env } from '../lib/aws/clients.js';
import { DirectS3ObjectStore } from '../lib/aws/s3-direct.js';
import { envSettings } from '../lib/config/env.js';
import { ingestConfigFromEnv } from '../lib/ingest/config.js';
import type { IngestDeps, IngestRequest, IngestResponse } from '../lib/ingest/contract.js';
import { IngestConfigError } from '../lib/ingest/errors.js';
import { handleIngest } from '../lib/ingest/handler.js';
import { jsonLogger, type Logger } from '../lib/log/logger.js';

export interface IngestHandlerOptions {
  /** Default: process.env, read at the first invocation. */
  env?: Env;
  logger?: Logger;
  /** Replaces everything built from the environment (tests). */
  deps?: IngestDeps;
}

export type IngestHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export function createIngestHandler(options: IngestHandlerOptions = {}): IngestHandler {
  let deps: IngestDeps | undefined = options.deps;
  return async (event, context) => {
    deps ??= ingestDeps(options);
    const logger = context?.awsRequestId === undefined ? deps.logger : deps.logger.child({ requestId: context.awsRequestId });
    const response = await handleIngest(ingestRequestFromEvent(event), { ...deps, logger });
    return toLambdaResult(response);
  };
}

/** Payload 2.0 → IngestRequest: lower-case header names, decoded query, the body as bytes. */
export function ingestRequestFromEvent(event: APIGatewayProxyEventV2): IngestRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) if (!(name in query)) query[name] = value;
  const body = event.body === undefined ? new Uint8Array(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return { method: event.requestContext.http.method.toUpperCase(), path: event.rawPath, query, headers, body };
}

export function toLambdaResult(response: IngestResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: response.status, headers: response.headers, body: response.body, isBase64Encoded: false };
}

function ingestDeps(options: IngestHandlerOptions): IngestDeps {
  const env = options.env ?? process.env;
  const settings = envSettings(env, (message) => new IngestConfigError(message));
  const bucket = settings.required('STRATA_BUCKET');
  const logLevel = settings.logLevel('STRATA_LOG_LEVEL') ?? 'info';
  return {
    store: new DirectS3ObjectStore(createS3Client(env), bucket),
    clock: Date.now,
    logger: options.logger ?? jsonLogger({ level: logLevel, fields: { function: 'ingest' } }),
    config: ingestConfigFromEnv(env),
  };
}

export const handler: IngestHandler = createIngestHandler();
