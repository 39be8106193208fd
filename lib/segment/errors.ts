/**
 * Typed errors for segment and block files and their object keys.
 *
 * Every decoding failure is a `SegmentFormatError`: the object is bad and retrying cannot help, so
 * callers quarantine it (or answer 400) instead of retrying.
 */

export class SegmentError extends Error {
  override name = 'SegmentError';
}

/** The bytes are not a valid Strata file. `source` names the object or file when known. */
export class SegmentFormatError extends SegmentError {
  override name = 'SegmentFormatError';
  constructor(
    message: string,
    readonly source?: string,
    options?: { cause?: unknown },
  ) {
    super(source === undefined ? message : `${source}: ${message}`, options);
  }
}

export class BadMagicError extends SegmentFormatError {
  override name = 'BadMagicError';
}
export class UnsupportedVersionError extends SegmentFormatError {
  override name = 'UnsupportedVersionError';
}
export class TruncatedFileError extends SegmentFormatError {
  override name = 'TruncatedFileError';
}
export class ChecksumMismatchError extends SegmentFormatError {
  override name = 'ChecksumMismatchError';
}
/** A declared length is above the reader's limit; raised before anything of that size is allocated. */
export class SizeLimitError extends SegmentFormatError {
  override name = 'SizeLimitError';
}
/** Snappy or protobuf content that cannot be decoded. */
export class CorruptBodyError extends SegmentFormatError {
  override name = 'CorruptBodyError';
}
/** Labels that are unsorted, duplicated, empty or missing `__name__`; series out of order. */
export class InvalidSeriesError extends SegmentFormatError {
  override name = 'InvalidSeriesError';
}
/** A series too large for one chunk of the format (16 MiB decoded); it must be sent in pieces. */
export class SeriesTooLargeError extends SegmentError {
  override name = 'SeriesTooLargeError';
}

/** The header disagrees with the object key or with the content it describes. */
export class HeaderMismatchError extends SegmentFormatError {
  override name = 'HeaderMismatchError';
}

/** An object key or one of its parts (tenant, shard, id) does not follow the layout. */
export class InvalidKeyError extends SegmentError {
  override name = 'InvalidKeyError';
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

export class InvalidTenantError extends SegmentError {
  override name = 'InvalidTenantError';
  constructor(
    message: string,
    readonly tenant: string,
  ) {
    super(message);
  }
}
