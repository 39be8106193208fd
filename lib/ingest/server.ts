/**
 * The ingest endpoint over node:http, for `strata dev` and the tests: each request becomes an
 * `IngestRequest` and goes through `handleIngest`, the same core the Lambda function calls. The
 * body is read up to the size limit only; a larger one is answered 413 without reading the rest.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger, type Logger } from '../log/logger.js';
import { ingestConfig } from './config.js';
import type { Clock, IngestConfig, IngestDeps, IngestRequest, IngestResponse, SegmentStore } from './contract.js';
import { PayloadTooLargeError } from './errors.js';
import { errorResponse, handleIngest } from './handler.js';

export interface IngestServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  store: SegmentStore;
  config?: IngestConfig;
  logger?: Logger;
  clock?: Clock;
}

export interface IngestServer {
  /** e.g. "http://127.0.0.1:8080". */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startIngestServer(options: IngestServerOptions): Promise<IngestServer> {
  const { host = '127.0.0.1', port = 8080 } = options;
  const deps: IngestDeps = {
    store: options.store,
    config: options.config ?? ingestConfig(),
    logger: options.logger ?? silentLogger,
    clock: options.clock ?? Date.now,
  };
  const server = createServer((req, res) => {
    serve(req, res, deps).catch((error: unknown) => {
      deps.logger.error('ingest server failed to answer', { error });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${actual}`,
    port: actual,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, deps: IngestDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const body = await readBody(req, deps.config.limits.maxBodyBytes);
  let response: IngestResponse;
  if (body === undefined) {
    response = errorResponse(new PayloadTooLargeError(`body is larger than the limit of ${deps.config.limits.maxBodyBytes} bytes`), deps.logger, {
      path: url.pathname,
    });
    response.headers['connection'] = 'close';
  } else {
    response = await handleIngest(toIngestRequest(req, url, body), deps);
  }
  res.writeHead(response.status, response.headers);
  res.end(response.body);
  // The rest of an oversized body was never read: drop the connection rather than drain it.
  if (body === undefined) res.once('finish', () => req.socket.destroy());
}

export function toIngestRequest(req: IncomingMessage, url: URL, body: Uint8Array): IngestRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in query)) query[name] = value;
  return { method: (req.method ?? 'GET').toUpperCase(), path: url.pathname, query, headers, body };
}

/**
 * The whole body, or undefined as soon as it is known to be larger than `limit`. The stream is
 * paused, not destroyed, then, so that the 413 can still be written on the socket.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.pause();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}
