/**
 * Remote write 1.0 client: POSTs a snappy-compressed WriteRequest with the protocol's headers,
 * retrying what can succeed later and nothing else.
 *
 * - 2xx: done. Network errors, timeouts, 5xx and 429: retried with capped exponential backoff and
 *   jitter, waiting at least as long as a `Retry-After` (seconds or HTTP-date) asks. Other 4xx and
 *   3xx: RemoteWriteRejectedError at once (a 401/403 also drops cached credentials).
 * - No attempt starts after the retry budget (`maxRetryTimeMs` from the first attempt) or the
 *   caller's deadline, and no attempt's timeout reaches past them: a caller holding a lease knows
 *   that nothing of its is in flight once the deadline has passed.
 * - The same bytes are sent on every attempt; the caller makes them identical across calls too.
 */
import pkg from '../../package.json' with { type: 'json' };
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { authorizationHeader, noCredentials, type CredentialsProvider } from './auth.js';
import { buildWriteRequestBody, type MetricMetadataInput, type TimeSeriesInput } from './encode.js';
import { RemoteWriteConfigError, RemoteWriteRejectedError, RemoteWriteUnavailableError } from './errors.js';

export const strataVersion: string = pkg.version;
export const defaultUserAgent = `strata/${strataVersion}`;
export const defaultTenantHeader = 'X-Scope-OrgID';

export interface RetryPolicy {
  /** Backoff before the first retry; doubled for each further one. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** No attempt starts later than this after the first one. */
  maxRetryTimeMs: number;
  /**
   * After a send has spent its retry budget, later sends fail at once for this long, so that an
   * outage costs each caller (tick, compactor) one budget, not one per record or shard.
   * Default: maxRetryTimeMs.
   */
  cooldownMs?: number;
}

export const defaultRetryPolicy: RetryPolicy = { minBackoffMs: 100, maxBackoffMs: 5_000, maxRetryTimeMs: 30_000 };

export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface RemoteWriteClientOptions {
  url: string;
  credentials?: CredentialsProvider;
  /** Header that carries the tenant when `send` is given one. Default X-Scope-OrgID. */
  tenantHeader?: string;
  userAgent?: string;
  /** Per attempt. Default 10 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  fetch?: FetchFunction;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The signal that ends one attempt after `ms`; default AbortSignal.timeout. Inject it along with
   * `clock`, so that attempts end on the clock the deadlines are set by.
   */
  timeoutSignal?: (ms: number) => AbortSignal;
  /** In [0, 1); jitter. */
  random?: () => number;
}

export interface SendOptions {
  /** Sent in the tenant header. */
  tenant?: string;
  /** Absolute time (by the client's clock) after which nothing may be in flight. */
  deadline?: number;
}

export interface SendResult {
  status: number;
  attempts: number;
  /** Compressed body size. */
  bytes: number;
}

const excerptBytes = 512;

export class RemoteWriteClient {
  /** The URL without credentials or query, safe for logs and error messages. */
  readonly endpoint: string;
  private readonly url: string;
  private readonly credentials: CredentialsProvider;
  private readonly tenantHeader: string;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly logger: Logger;
  private readonly fetch: FetchFunction;
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly timeoutSignal: (ms: number) => AbortSignal;
  private readonly random: () => number;
  /** Until when the endpoint counts as down (see RetryPolicy.cooldownMs). */
  private unavailableUntil = 0;
  private lastFailure: RemoteWriteUnavailableError | undefined;

  constructor(options: RemoteWriteClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new RemoteWriteConfigError('the remote-write URL is not a valid URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new RemoteWriteConfigError(`the remote-write URL must be http or https, not ${parsed.protocol}`);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      throw new RemoteWriteConfigError('the remote-write URL must not contain credentials: use the username/password or token settings');
    }
    this.url = parsed.toString();
    this.endpoint = `${parsed.origin}${parsed.pathname}`;
    this.credentials = options.credentials ?? noCredentials;
    this.tenantHeader = options.tenantHeader ?? defaultTenantHeader;
    this.userAgent = options.userAgent ?? defaultUserAgent;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = { ...defaultRetryPolicy, ...options.retry };
    this.logger = options.logger ?? silentLogger;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.clock = options.clock ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.timeoutSignal = options.timeoutSignal ?? ((ms) => AbortSignal.timeout(ms));
    this.random = options.random ?? Math.random;
  }

  /** Encodes (checking every label set), compresses and sends. */
  async send(series: readonly TimeSeriesInput[], options: SendOptions & { metadata?: readonly MetricMetadataInput[] } = {}): Promise<SendResult> {
    return this.post(buildWriteRequestBody(series, options.metadata), options);
  }

  /** Sends an already compressed WriteRequest body. */
  async post(body: Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    const start = this.clock();
    if (start < this.unavailableUntil && this.lastFailure !== undefined) {
      const seconds = Math.ceil((this.unavailableUntil - start) / 1000);
      throw new RemoteWriteUnavailableError(this.endpoint, 0, this.lastFailure.lastStatus, `not sent: the endpoint failed a moment ago (${this.lastFailure.reason}); next try in ${seconds} s`, {
        cause: this.lastFailure,
      });
    }
    try {
      const result = await this.attempt(body, options, start);
      this.unavailableUntil = 0;
      return result;
    } catch (error) {
      // Only a failure of the endpoint opens the breaker, not a deadline that allowed no attempt.
      if (error instanceof RemoteWriteUnavailableError && error.attempts > 0) {
        this.lastFailure = error;
        this.unavailableUntil = this.clock() + (this.retry.cooldownMs ?? this.retry.maxRetryTimeMs);
      }
      throw error;
    }
  }

  private async attempt(body: Uint8Array, options: SendOptions, start: number): Promise<SendResult> {
    const limit = Math.min(start + this.retry.maxRetryTimeMs, options.deadline ?? Number.POSITIVE_INFINITY);
    let attempts = 0;
    let lastStatus: number | undefined;
    let lastReason = 'no attempt could start before the deadline';
    let lastCause: unknown;
    for (;;) {
      const timeLeft = limit - this.clock();
      if (timeLeft <= 0) throw new RemoteWriteUnavailableError(this.endpoint, attempts, lastStatus, lastReason, { cause: lastCause });
      attempts++;
      let retryAfterMs: number | undefined;
      try {
        const response = await this.fetch(this.url, {
          method: 'POST',
          headers: await this.headers(options.tenant),
          body,
          redirect: 'manual',
          signal: this.timeoutSignal(Math.max(1, Math.floor(Math.min(this.timeoutMs, timeLeft)))),
        });
        const { status } = response;
        if (status >= 200 && status < 300) {
          await response.arrayBuffer().catch(() => undefined);
          return { status, attempts, bytes: body.length };
        }
        const excerpt = await readExcerpt(response);
        if (status !== 429 && status < 500) {
          if (status === 401 || status === 403) this.credentials.invalidate();
          throw new RemoteWriteRejectedError(this.endpoint, status, excerpt, attempts);
        }
        lastStatus = status;
        lastReason = `HTTP ${status}${excerpt === '' ? '' : `: ${excerpt}`}`;
        lastCause = undefined;
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), this.clock());
      } catch (error) {
        if (error instanceof RemoteWriteRejectedError || error instanceof RemoteWriteConfigError) throw error;
        lastStatus = undefined;
        lastReason = describeNetworkError(error);
        lastCause = error;
      }
      const backoff = Math.min(this.retry.maxBackoffMs, this.retry.minBackoffMs * 2 ** (attempts - 1));
      const wait = Math.max(backoff * (0.5 + this.random() / 2), retryAfterMs ?? 0);
      if (this.clock() + wait >= limit) {
        const why = retryAfterMs !== undefined && retryAfterMs > backoff ? `${lastReason} (Retry-After ${Math.ceil(retryAfterMs / 1000)} s is past the retry budget)` : lastReason;
        throw new RemoteWriteUnavailableError(this.endpoint, attempts, lastStatus, why, { cause: lastCause });
      }
      this.logger.warn('remote write failed, retrying', { endpoint: this.endpoint, attempt: attempts, status: lastStatus, waitMs: Math.round(wait), reason: lastReason });
      await this.sleep(wait);
    }
  }

  private async headers(tenant: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = {
      'Content-Encoding': 'snappy',
      'Content-Type': 'application/x-protobuf',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      'User-Agent': this.userAgent,
    };
    if (tenant !== undefined) headers[this.tenantHeader] = tenant;
    const credentials = await this.credentials.get();
    if (credentials !== undefined) headers['Authorization'] = authorizationHeader(credentials);
    return headers;
  }
}

/** Milliseconds to wait from `now`, for `Retry-After: <seconds>` or `Retry-After: <HTTP-date>`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

async function readExcerpt(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < excerptBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } catch {
    // A body cut short still leaves a useful excerpt.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = Buffer.concat(chunks).subarray(0, excerptBytes).toString('utf8').trim();
  return length > excerptBytes ? `${text}…` : text;
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'the request timed out';
  const cause = error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
  return `${error.message}${cause}`;
}

function defaultSleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
