/**
 * What the ingest core takes and returns: a plain HTTP request in, a plain response out, and the
 * store, clock, logger and config as arguments. No Lambda or node:http types cross this line;
 * functions/ingest.ts and server.ts adapt their own request shapes to `IngestRequest`.
 *
 * What must hold (each is tested in test/unit/ingest-*.test.ts):
 * - A rejected request (any 4xx) writes nothing: every check runs before the first write.
 * - A 2xx means every segment of the request is stored (written now or found already there).
 * - Handling is idempotent: the same request bytes from the same tenant give the same segment keys
 *   and bytes of series, so a client retry stores nothing new and is acknowledged.
 * - An answer of 5xx means the client may retry the same bytes safely.
 */
import type { ObjectStore } from '../aws/contract.js';
import type { Logger } from '../log/logger.js';

export interface IngestRequest {
  /** Upper case, e.g. "POST". */
  method: string;
  /** The URL path without the query, e.g. "/api/v1/push". */
  path: string;
  /** Decoded query parameters; the first value wins when a name repeats. */
  query: Readonly<Record<string, string>>;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  /** The body exactly as sent (still compressed). */
  body: Uint8Array;
}

export interface IngestResponse {
  status: number;
  headers: Record<string, string>;
  /** Text (an error message or a JSON summary), empty for 204. */
  body: string;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;

/**
 * Where a tenant's API keys come from. Implementations may fetch and cache (a secret store, for
 * example); the handler asks once per request and compares in constant time. Keys are secrets:
 * implementations must never log them or put them in error messages.
 */
export interface ApiKeyStore {
  /** The keys accepted for this tenant; an empty list means the tenant may not push at all. */
  keysFor(tenant: string): Promise<readonly string[]>;
}

export interface IngestLimits {
  /** Largest body as sent (compressed); default 10 MiB. */
  maxBodyBytes: number;
  /** Largest body after decompression; checked before decompressing. Default 64 MiB. */
  maxDecodedBytes: number;
  /** How far ahead of the clock a sample may be stamped; default one hour. */
  maxFutureMs: number;
}

export interface IngestConfig {
  /** Shards per tenant; series are assigned with `shardOf`. Default 4. */
  shardCount: number;
  limits: IngestLimits;
  /** Written into each segment header, e.g. "strata-ingest/0.1.0". */
  createdBy: string;
  /** When set, every request needs a valid key for its tenant; when undefined, none is asked for. */
  apiKeys: ApiKeyStore | undefined;
  /** A segment chunk is closed once its decoded size reaches this; default 1 MiB. */
  chunkTargetBytes: number;
}

/**
 * All ingest asks of storage: create-if-absent writes. `S3ObjectStore` provides it, and so does
 * `S3Direct` (lib/aws/s3-direct.ts), which the deployed function uses (through `DirectS3ObjectStore`)
 * for its lower CPU cost per write.
 */
export type SegmentStore = Pick<ObjectStore, 'putIfAbsent'>;

export interface IngestDeps {
  store: SegmentStore;
  clock: Clock;
  logger: Logger;
  config: IngestConfig;
}
