/**
 * Create-if-absent PutObject without the AWS SDK's middleware stack, for the ingest hot path.
 *
 * Through the SDK v3 client, one PutObject of a 12 KiB segment cost about 1.4 ms of CPU even with
 * flexible checksums off, against about 0.2 ms for the HTTP request itself (docs/ingest.md,
 * "Performance"), and ingest writes one segment per shard per request. This writer keeps what the
 * SDK is needed for and does the rest itself:
 *
 * - from the SDK's S3Client (built by `createS3Client`, so the same environment settings apply):
 *   its credential provider (the default chain, cached and refreshed, or the explicit keys with
 *   session token), region, custom endpoint, path-style, FIPS and dual-stack settings, the
 *   endpoint rules that turn them into the bucket's URL and signing scope, `maxAttempts` and the
 *   `app/<id>` User-Agent part;
 * - SigV4 signing with `@smithy/signature-v4`, the SDK's own signer, over a signed payload: S3
 *   checks the body's SHA-256, so a corrupted upload is refused as with the SDK's checksums;
 * - keep-alive `node:http`/`node:https`; network errors, 5xx, 429 and S3's `RequestTimeout` are
 *   retried with capped exponential backoff and full jitter, as the SDK's standard retry mode does.
 *
 * Outcomes and errors are those of `S3ObjectStore.putIfAbsent`: 412, 409 and 404 are outcomes,
 * anything else (after the retries) an `AwsAccessError` whose `code` and `httpStatus` are S3's.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ConditionalPutResult, PutOptions } from './contract.js';
import { AwsAccessError, describeCause } from './errors.js';

export interface S3PutOptions {
  /** Per attempt: how long the socket may stay idle before the attempt fails (and is retried). */
  attemptTimeoutMs?: number;
  /** Backoff: first delay cap, and the cap of every delay. */
  baseDelayMs?: number;
  maxDelayMs?: number;
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

/** Where and how requests for the bucket go, resolved once from the client's configuration. */
export interface Target {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
  /** "" for virtual-hosted style, "/bucket" for path style. */
  basePath: string;
  signer: SignatureV4;
  maxAttempts: number;
  userAgent: string;
}

const retryableCodes = new Set(['RequestTimeout', 'RequestTimeoutException', 'SlowDown', 'Throttling', 'ThrottlingException', 'InternalError', 'ServiceUnavailable']);

export class S3Put {
  private target: Promise<Target> | undefined;
  private readonly httpAgent = new HttpAgent({ keepAlive: true });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true });
  private readonly attemptTimeoutMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    options: S3PutOptions = {},
  ) {
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 30_000;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
  }

  /** `PutObject` with `If-None-Match: *`; the same outcomes as `ObjectStore.putIfAbsent`. */
  async putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<ConditionalPutResult> {
    let target: Target;
    try {
      target = await (this.target ??= putTarget(this.client, this.bucket));
    } catch (error) {
      this.target = undefined; // e.g. no region configured: let the next request try again
      throw this.failure(key, error, 0);
    }
    const headers: Record<string, string> = {
      host: target.port === undefined ? target.hostname : `${target.hostname}:${target.port}`,
      'content-length': String(body.length),
      'if-none-match': '*',
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      'user-agent': target.userAgent,
    };
    if (options?.contentType !== undefined) headers['content-type'] = options.contentType;
    for (const [name, value] of Object.entries(options?.metadata ?? {})) headers[`x-amz-meta-${name.toLowerCase()}`] = value;
    const path = `${target.basePath}/${encodeKey(key)}`;
    for (let attempt = 1; ; attempt++) {
      let outcome: ConditionalPutResult | { retry: unknown };
      try {
        const signed = await target.signer.sign({ method: 'PUT', protocol: target.protocol, hostname: target.hostname, port: target.port, path, query: {}, headers, body });
        outcome = await this.send(target, path, signed.headers, body);
      } catch (error) {
        if (error instanceof S3ResponseError) throw this.failure(key, error, attempt);
        outcome = { retry: error }; // network error or timeout
      }
      if (!('retry' in outcome)) return outcome;
      if (attempt >= target.maxAttempts) throw this.failure(key, outcome.retry, attempt);
      await this.sleep(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1)));
    }
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** One attempt: an outcome, `{retry}` for an answer worth retrying, or a thrown S3ResponseError. */
  private send(target: Target, path: string, headers: OutgoingHttpHeaders, body: Uint8Array): Promise<ConditionalPutResult | { retry: unknown }> {
    return new Promise((resolve, reject) => {
      const options = { method: 'PUT', hostname: target.hostname, port: target.port, path, headers };
      const onResponse = (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('error', reject);
        response.once('end', () => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            const etag = response.headers.etag;
            if (etag === undefined || etag === '') reject(new S3ResponseError('MissingETag', status, 'PutObject returned no ETag'));
            else resolve({ outcome: 'written', etag });
            return;
          }
          const { code, message } = s3ErrorOf(Buffer.concat(chunks).toString('utf8'), status);
          const error = new S3ResponseError(code, status, message);
          if (status === 412) resolve({ outcome: 'precondition-failed' });
          else if (status === 409) resolve({ outcome: 'conflict' });
          else if (status === 404 && code !== 'NoSuchBucket') resolve({ outcome: 'missing' });
          else if (status >= 500 || status === 429 || retryableCodes.has(code)) resolve({ retry: error });
          else reject(error);
        });
      };
      const request =
        target.protocol === 'https:'
          ? httpsRequest({ ...options, agent: this.httpsAgent }, onResponse)
          : httpRequest({ ...options, agent: this.httpAgent }, onResponse);
      request.setTimeout(this.attemptTimeoutMs, () => request.destroy(new Error(`no answer within ${this.attemptTimeoutMs} ms`)));
      request.once('error', reject);
      request.end(body);
    });
  }

  private failure(key: string, cause: unknown, attempts: number): AwsAccessError {
    const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
    return new AwsAccessError(`PutObject s3://${this.bucket}/${key} failed${tries}: ${describeCause(cause)}`, {
      cause,
      operation: 'PutObject',
      bucket: this.bucket,
      key,
    });
  }
}

/** The bucket's URL and signing scope by the SDK's own endpoint rules, from the client's settings. */
export async function putTarget(client: S3Client, bucket: string): Promise<Target> {
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
    throw new Error(`bucket ${bucket} needs the ${scheme.name} signing scheme (an S3 Express or multi-region bucket), which this writer does not implement`);
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
    userAgent: `strata-s3-put${appId === undefined ? '' : ` app/${appId}`}`,
  };
}

/** The SDK's SigV4 signer set up as S3 wants it: the path signed as sent (encoded once), a signed payload. */
export function s3Signer(credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'], region: string, service = 's3'): SignatureV4 {
  return new SignatureV4({ credentials, region, service, sha256: NodeSha256, uriEscapePath: false, applyChecksum: true });
}

/** A key as a URL path: each segment percent-encoded as RFC 3986 asks (what S3 signs), slashes kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** S3's XML error body: its Code and Message, or the status alone when there is no body (HEAD-like answers). */
function s3ErrorOf(xml: string, status: number): { code: string; message: string } {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? `HTTP${status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? `S3 answered HTTP ${status}`;
  return { code, message };
}

/** The signer's hash interface over node:crypto: SHA-256, or HMAC-SHA-256 when given a secret. */
class NodeSha256 {
  private readonly secret: Buffer | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.fresh();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

function bytesOf(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
