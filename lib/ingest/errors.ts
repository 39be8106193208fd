/**
 * Typed errors of the ingest path. Each carries the HTTP status it is answered with, so the
 * handler maps any of them to a response in one place; the message is what the client reads.
 * Messages never contain API keys or other header values.
 */

export interface IngestErrorOptions {
  cause?: unknown;
  tenant?: string;
}

export class IngestError extends Error {
  override name = 'IngestError';
  readonly status: number;
  readonly tenant: string | undefined;

  constructor(status: number, message: string, options: IngestErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.tenant = options.tenant;
  }
}

/** 400: the request cannot be ingested as sent; retrying it cannot help. */
export class BadRequestError extends IngestError {
  override name = 'BadRequestError';
  constructor(message: string, options?: IngestErrorOptions) {
    super(400, message, options);
  }
}

/** 400: the X-Scope-OrgID header is not a valid tenant id. */
export class InvalidTenantError extends BadRequestError {
  override name = 'InvalidTenantError';
}

/** 400: the body cannot be decoded; `format` names the layer that failed (snappy, gzip, protobuf, pprof, json, multipart). */
export class CorruptPayloadError extends BadRequestError {
  override name = 'CorruptPayloadError';
  constructor(
    readonly format: string,
    message: string,
    options?: IngestErrorOptions,
  ) {
    super(`corrupt ${format}: ${message}`, options);
  }
}

/** 400: the body decodes but a series, label or sample in it is not acceptable. */
export class InvalidSeriesDataError extends BadRequestError {
  override name = 'InvalidSeriesDataError';
}

/** 400: a query parameter is missing or malformed. */
export class InvalidQueryError extends BadRequestError {
  override name = 'InvalidQueryError';
}

/** 401: an API key is required for the tenant and none, or a wrong one, was sent. */
export class UnauthorizedError extends IngestError {
  override name = 'UnauthorizedError';
  constructor(message: string, options?: IngestErrorOptions) {
    super(401, message, options);
  }
}

export class NotFoundError extends IngestError {
  override name = 'NotFoundError';
  constructor(message: string) {
    super(404, message);
  }
}

export class MethodNotAllowedError extends IngestError {
  override name = 'MethodNotAllowedError';
  constructor(
    message: string,
    readonly allow: string,
  ) {
    super(405, message);
  }
}

/** 413: the body, as sent or once decoded, is above the configured limit. Raised before decompressing. */
export class PayloadTooLargeError extends IngestError {
  override name = 'PayloadTooLargeError';
  constructor(message: string, options?: IngestErrorOptions) {
    super(413, message, options);
  }
}

/** 415: a content type, content encoding or profile format this endpoint does not take. */
export class UnsupportedMediaTypeError extends IngestError {
  override name = 'UnsupportedMediaTypeError';
  constructor(message: string, options?: IngestErrorOptions) {
    super(415, message, options);
  }
}

/** 503: the object store failed; the client should retry the same request. */
export class StorageUnavailableError extends IngestError {
  override name = 'StorageUnavailableError';
  constructor(message: string, options?: IngestErrorOptions) {
    super(503, message, options);
  }
}

/** A configuration value (environment) is unusable; raised at start-up, never per request. */
export class IngestConfigError extends Error {
  override name = 'IngestConfigError';
}
