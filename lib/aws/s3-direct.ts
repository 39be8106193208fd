/**
 * S3's object requests — GetObject (whole or a range), HeadObject, PutObject (plain, create-if-absent,
 * compare-and-swap) — without the AWS SDK's middleware stack, for the pipeline's hot paths.
 *
 * Through the SDK v3 client, one PutObject of a 12 KiB segment costs several times the CPU of the
 * same PUT through this client, which costs less than a bare unsigned `node:http` PUT (`npm run
 * bench:ingest` prints all three; docs/ingest.md, "Performance"). Ingest writes one segment per
 * shard per request, and a compaction job makes dozens of requests. This client keeps what the SDK
 * is needed for and does the rest itself:
 *
 * - from the SDK's S3Client (built by `createS3Client`, so the same environment settings apply):
 *   its credential provider (the default chain, cached and refreshed, or the explicit keys with
 *   session token), region, custom endpoint, path-style, FIPS and dual-stack settings, the
 *   endpoint rules that turn them into the bucket's URL and signing scope, `maxAttempts` and the
 *   `app/<id>` User-Agent part;
 * - SigV4 signing over a signed payload (sigv4.ts, whose signatures are the SDK signer's): S3
 *   checks the body's SHA-256, so a corrupted upload is refused as with the SDK's checksums;
 * - kept-alive HTTP/1.1 connections of its own (http1.ts); dropped or stalled connections, 500,
 *   502, 503, 504, 429 and S3's throttling and timeout codes are retried with capped exponential
 *   backoff and full jitter, as the SDK's standard retry mode does. Anything else (501
 *   NotImplemented, a request S3 refuses, a signing or credentials failure, an answer that is not
 *   HTTP) fails at once: another attempt would fail the same way.
 *
 * Results and errors are those of `S3ObjectStore`: a missing object is undefined, 412, 409 and 404
 * of a conditional write are outcomes, anything else (after the retries) an `AwsAccessError` whose
 * `code` and `httpStatus` are S3's (an error answer without a body, as to a HEAD, has the code
 * `HTTP<status>`).
 *
 * `DirectS3ObjectStore`, the functions' store, sends listing, deleting, copying and multipart
 * uploads through the SDK (S3ObjectStore), and every request for a bucket this client cannot
 * address: S3 Express buckets and multi-region access points need signing schemes it lacks.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ConditionalPutResult, ObjectInfo, ObjectRange, ObjectStore, PutOptions, StoredObject } from './contract.js';
import type { AwsAccessError } from './errors.js';
import { conditionalRefusal, encodeKey, isNotFound, isRangeOfEmptyObject, objectAccessError, rangeOfAnswer, requireEtag, S3ObjectStore, withLastModified } from './s3.js';
import { Http1Pool } from './http1.js';
import { S3RequestSigner, type CredentialSource } from './sigv4.js';

export interface S3DirectOptions {
  /** Per attempt: how long the socket may stay idle before the attempt fails (and is retried). */
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** An S3 answer other than success, shaped as the SDK's errors are so that `AwsAccessError` reads its code and status. */
class S3ResponseError extends Error {
  readonly $metadata: { httpStatusCode: number };

  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status };
  }
}

/** A bucket whose requests need a signing scheme S3Direct does not implement (S3 Express, multi-region access points). */
export class UnsupportedBucketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedBucketError';
  }
}

/** Where and how requests for the bucket go, resolved once from the client's configuration. */
interface Target {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  /** "" for virtual-hosted style, "/bucket" for path style. */
  basePath: string;
  signer: S3RequestSigner;
  maxAttempts: number;
  userAgent: string;
}

/** Backoff between attempts: full jitter under a cap that starts at 100 ms and doubles up to 20 s, as the SDK's standard retry mode. */
const baseDelayMs = 100;
const maxDelayMs = 20_000;
const retryableStatuses = new Set([429, 500, 502, 503, 504]);
const retryableCodes = new Set(['RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException', 'InternalError', 'ServiceUnavailable']);
/** Socket errors after which the same request may well succeed on a new connection. */
const transientNetworkCodes = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN']);

/** One S3 answer: status, headers and body, and S3's error for a status other than 2xx (its body parsed once). */
interface Answer {
  status: number;
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  error: S3ResponseError | undefined;
}

/** The object requests of `ObjectStore` that this client makes. */
type ObjectRequests = Pick<ObjectStore, 'bucket' | 'get' | 'getRange' | 'head' | 'put' | 'putIfAbsent' | 'putIfMatch'>;

export class S3Direct implements ObjectRequests {
  private target: Promise<Target> | undefined;
  /** Kept-alive connections to the bucket's endpoint, made at the first request. */
  private connections: Http1Pool | undefined;
  private readonly attemptTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    options: S3DirectOptions = {},
  ) {
    // Well under the ingest function's 30 s timeout (resources.ts), so that one stalled socket leaves
    // time for the retries; S3 answers an object request in milliseconds, a 5 s silence is a dead connection.
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const answer = await this.request('GetObject', 'GET', key);
    if (answer.error !== undefined) {
      if (isNotFound(answer.error)) return undefined;
      throw this.failure('GetObject', key, answer.error);
    }
    return withLastModified<StoredObject>({ key, body: bytesView(answer.body), etag: requireEtag('GetObject', this.bucket, key, answer.headers.etag) }, lastModifiedOf(answer.headers));
  }

  async getRange(key: string, offset: number, length: number): Promise<ObjectRange | undefined> {
    const answer = await this.request('GetObject', 'GET', key, { range: `bytes=${offset}-${offset + length - 1}` });
    if (answer.error !== undefined) {
      if (isNotFound(answer.error)) return undefined;
      if (isRangeOfEmptyObject(answer.error, offset)) return { body: new Uint8Array(0), size: 0 };
      throw this.failure('GetObject', key, answer.error);
    }
    return rangeOfAnswer(this.bucket, key, { status: answer.status, body: bytesView(answer.body), contentRange: answer.headers['content-range'] }, offset, length);
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const answer = await this.request('HeadObject', 'HEAD', key);
    if (answer.error !== undefined) {
      if (isNotFound(answer.error)) return undefined;
      throw this.failure('HeadObject', key, answer.error);
    }
    const size = Number(answer.headers['content-length']);
    return withLastModified<ObjectInfo>({ key, size: Number.isSafeInteger(size) ? size : 0, etag: requireEtag('HeadObject', this.bucket, key, answer.headers.etag) }, lastModifiedOf(answer.headers));
  }

  /** Unconditional PutObject; returns the new ETag. */
  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<string> {
    const answer = await this.request('PutObject', 'PUT', key, putHeaders(options), body);
    if (answer.error !== undefined) throw this.failure('PutObject', key, answer.error);
    return requireEtag('PutObject', this.bucket, key, answer.headers.etag);
  }

  /** `PutObject` with `If-None-Match: *`; the same outcomes as `ObjectStore.putIfAbsent`. */
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.conditionalPut(key, body, { ...putHeaders(options), 'if-none-match': '*' });
  }

  /** `PutObject` with `If-Match: <etag>`; the same outcomes as `ObjectStore.putIfMatch`. */
  putIfMatch(key: string, body: Uint8Array, etag: string, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.conditionalPut(key, body, { ...putHeaders(options), 'if-match': etag });
  }

  /** Whether this client can address the bucket: false when it needs a signing scheme this client lacks. */
  async addressesBucket(): Promise<boolean> {
    try {
      await this.resolvedTarget();
      return true;
    } catch (error) {
      if (error instanceof UnsupportedBucketError) return false;
      throw error;
    }
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.connections?.destroy();
  }

  private async conditionalPut(key: string, body: Uint8Array, headers: Record<string, string>): Promise<ConditionalPutResult> {
    const answer = await this.request('PutObject', 'PUT', key, headers, body);
    if (answer.error === undefined) return { outcome: 'written', etag: requireEtag('PutObject', this.bucket, key, answer.headers.etag) };
    const refused = conditionalRefusal(answer.error);
    if (refused !== undefined) return refused;
    throw this.failure('PutObject', key, answer.error);
  }

  /** Signs and sends one request, retrying dropped connections and S3's transient answers; returns the last answer. */
  private async request(operation: string, method: 'GET' | 'HEAD' | 'PUT', key: string, extraHeaders: Record<string, string> = {}, body?: Uint8Array): Promise<Answer> {
    let target: Target;
    try {
      target = await this.resolvedTarget();
    } catch (error) {
      throw this.failure(operation, key, error, 0);
    }
    const headers: Record<string, string> = {
      host: target.port === undefined ? target.hostname : `${target.hostname}:${target.port}`,
      'x-amz-content-sha256': body === undefined ? emptySha256 : createHash('sha256').update(body).digest('hex'),
      'user-agent': target.userAgent,
      ...extraHeaders,
    };
    const path = `${target.basePath}/${encodeKey(key)}`;
    for (let attempt = 1; ; attempt++) {
      // Signed again on each attempt, for a fresh date; a signing failure is not retried.
      let signed;
      try {
        signed = await target.signer.sign({ method, path, headers });
      } catch (error) {
        throw this.failure(operation, key, error, attempt);
      }
      let retry: unknown;
      try {
        const answer = await this.send(target, method, path, signed, body);
        if (answer.error === undefined || !isRetryable(answer.error)) return answer;
        retry = answer.error;
      } catch (error) {
        if (!isTransientNetworkError(error)) throw this.failure(operation, key, error, attempt);
        retry = error;
      }
      if (attempt >= target.maxAttempts) throw this.failure(operation, key, retry, attempt);
      await this.sleep(this.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    }
  }

  private resolvedTarget(): Promise<Target> {
    return (this.target ??= directTarget(this.client, this.bucket).catch((error: unknown) => {
      // Settings that can change (no region configured yet) are resolved again at the next request.
      if (!(error instanceof UnsupportedBucketError)) this.target = undefined;
      throw error;
    }));
  }

  /** One attempt: S3's answer, or a rejection for a network error or timeout. */
  private async send(target: Target, method: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined): Promise<Answer> {
    this.connections ??= new Http1Pool(target, this.attemptTimeoutMs);
    const answer = await this.connections.request({ method, path, headers, body });
    const status = answer.status;
    return { ...answer, error: status >= 200 && status < 300 ? undefined : responseError(status, answer.body) };
  }

  private failure(operation: string, key: string, cause: unknown, attempts = 1): AwsAccessError {
    return objectAccessError(operation, this.bucket, key, cause, attempts);
  }
}

const emptySha256 = createHash('sha256').digest('hex');

function putHeaders(options: PutOptions | undefined): Record<string, string> {
  // As the SDK does: S3 would store binary/octet-stream anyway, and some emulators refuse a body without a type.
  const headers: Record<string, string> = { 'content-type': options?.contentType ?? 'application/octet-stream' };
  for (const [name, value] of Object.entries(options?.metadata ?? {})) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  return headers;
}

function responseError(status: number, body: Buffer): S3ResponseError {
  const { code, message } = s3ErrorOf(body.toString('utf8'), status);
  return new S3ResponseError(code, status, message);
}

function isRetryable(error: S3ResponseError): boolean {
  return retryableStatuses.has(error.$metadata.httpStatusCode) || retryableCodes.has(error.name);
}

/** A dropped, refused or stalled connection (node reports "socket hang up" as ECONNRESET). */
function isTransientNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && transientNetworkCodes.has(code);
}

/** A Buffer's bytes as a plain Uint8Array (no copy), as the SDK-backed store returns them. */
function bytesView(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function lastModifiedOf(headers: Answer['headers']): Date | undefined {
  const lastModified = headers['last-modified'];
  return lastModified === undefined ? undefined : new Date(lastModified);
}

/** The bucket's URL and signing scope by the SDK's own endpoint rules, from the client's settings. */
export async function directTarget(client: S3Client, bucket: string): Promise<Target> {
  const config = client.config;
  const region = await config.region();
  const custom = config.isCustomEndpoint ? await config.endpoint?.() : undefined;
  const endpoint = config.endpointProvider({
    Bucket: bucket,
    Region: region,
    UseFIPS: await config.useFipsEndpoint(),
    UseDualStack: await config.useDualstackEndpoint(),
    ForcePathStyle: config.forcePathStyle,
    Accelerate: config.useAccelerateEndpoint,
    ...(custom === undefined ? {} : { Endpoint: `${custom.protocol}//${custom.hostname}${custom.port === undefined ? '' : `:${custom.port}`}${custom.path}` }),
  });
  const scheme = (endpoint.properties?.['authSchemes'] as Array<{ name?: string; signingName?: string; signingRegion?: string }> | undefined)?.[0];
  if (scheme !== undefined && scheme.name !== 'sigv4') {
    throw new UnsupportedBucketError(`bucket ${bucket} needs the ${scheme.name} signing scheme (an S3 Express bucket or a multi-region access point), which S3Direct does not implement; DirectS3ObjectStore sends its requests through the SDK`);
  }
  const url = endpoint.url;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported S3 endpoint ${url.href}`);
  const appId = await config.userAgentAppId();
  return {
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? undefined : Number(url.port),
    basePath: url.pathname.replace(/\/+$/, ''),
    signer: s3Signer(config.credentials, scheme?.signingRegion ?? region, scheme?.signingName ?? 's3'),
    maxAttempts: await config.maxAttempts(),
    userAgent: `strata-s3-direct${appId === undefined ? '' : ` app/${appId}`}`,
  };
}

/** A SigV4 signer for S3 object requests in `region` (sigv4.ts). */
export function s3Signer(credentials: CredentialSource, region: string, service = 's3'): S3RequestSigner {
  return new S3RequestSigner(credentials, region, service);
}

/** S3's XML error body: its Code and Message, or the status alone when there is no body (HEAD-like answers). */
function s3ErrorOf(xml: string, status: number): { code: string; message: string } {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? `HTTP${status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? `S3 answered HTTP ${status}`;
  return { code, message };
}

/**
 * The functions' ObjectStore: object requests (get, ranged get, head, the three puts) through
 * S3Direct, the rest — listing, deletes, copies, multipart uploads — through the SDK. A bucket
 * S3Direct cannot address has all its requests sent through the SDK, decided at the first request.
 */
export class DirectS3ObjectStore extends S3ObjectStore {
  private readonly direct: S3Direct;
  /** Whether S3Direct can address the bucket; undefined until known. */
  private addressable: boolean | undefined;

  constructor(client: S3Client, bucket: string) {
    super(client, bucket);
    this.direct = new S3Direct(client, bucket);
  }

  override get(key: string): Promise<StoredObject | undefined> {
    return this.route(() => this.direct.get(key), () => super.get(key));
  }

  override getRange(key: string, offset: number, length: number): Promise<ObjectRange | undefined> {
    return this.route(() => this.direct.getRange(key, offset, length), () => super.getRange(key, offset, length));
  }

  override head(key: string): Promise<ObjectInfo | undefined> {
    return this.route(() => this.direct.head(key), () => super.head(key));
  }

  override put(key: string, body: Uint8Array, options?: PutOptions): Promise<string> {
    return this.route(() => this.direct.put(key, body, options), () => super.put(key, body, options));
  }

  override putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.route(() => this.direct.putIfAbsent(key, body, options), () => super.putIfAbsent(key, body, options));
  }

  override putIfMatch(key: string, body: Uint8Array, etag: string, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.route(() => this.direct.putIfMatch(key, body, etag, options), () => super.putIfMatch(key, body, etag, options));
  }

  /** Closes S3Direct's kept-alive connections. */
  destroy(): void {
    this.direct.destroy();
  }

  /** Sends through S3Direct or the SDK; once the bucket is known addressable or not, without another await. */
  private route<T>(direct: () => Promise<T>, sdk: () => Promise<T>): Promise<T> {
    if (this.addressable !== undefined) return this.addressable ? direct() : sdk();
    return this.direct.addressesBucket().then(
      (addressable) => {
        this.addressable = addressable;
        return addressable ? direct() : sdk();
      },
      // Settings that do not resolve (no region): S3Direct's request fails with an AwsAccessError saying so.
      () => direct(),
    );
  }
}
