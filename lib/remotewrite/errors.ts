/**
 * Typed errors of the remote-write client. Messages name the endpoint without its credentials and
 * never contain header values; a rejected request carries the receiver's status and a short excerpt
 * of its answer, because that is what says which sample or label it refused.
 */

export class RemoteWriteError extends Error {
  override name = 'RemoteWriteError';
}

/** The client is configured wrongly (bad URL, unreadable secret); retrying cannot help. */
export class RemoteWriteConfigError extends RemoteWriteError {
  override name = 'RemoteWriteConfigError';
}

/** A series cannot be sent: its labels break the remote-write rules. Raised before anything is sent. */
export class RemoteWriteLabelError extends RemoteWriteError {
  override name = 'RemoteWriteLabelError';
}

/** The receiver refused the request with a status that retrying cannot change (4xx except 429, 3xx). */
export class RemoteWriteRejectedError extends RemoteWriteError {
  override name = 'RemoteWriteRejectedError';
  constructor(
    readonly endpoint: string,
    readonly status: number,
    readonly bodyExcerpt: string,
    readonly attempts: number,
  ) {
    super(`${endpoint} rejected the write with HTTP ${status}${bodyExcerpt === '' ? '' : `: ${bodyExcerpt}`}`);
  }
}

/**
 * The receiver could not be reached or kept answering 5xx/429 until the retry budget ran out.
 * `lastStatus` is undefined when the last attempt failed at the network level (then `cause` says how).
 */
export class RemoteWriteUnavailableError extends RemoteWriteError {
  override name = 'RemoteWriteUnavailableError';
  constructor(
    readonly endpoint: string,
    readonly attempts: number,
    readonly lastStatus: number | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${endpoint} unavailable after ${attempts} attempt(s): ${reason}`, options);
  }
}
