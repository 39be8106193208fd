/**
 * `ObjectStore` over the AWS SDK v3 S3 client: missing objects are `undefined`, conditional
 * writes return an outcome instead of throwing, every other failure is an `AwsAccessError`.
 * The helpers at the end make those rules, and are shared with `S3Direct` (s3-direct.ts), which
 * makes the object requests without the SDK and must answer exactly as this store does.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type PutObjectCommandInput,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ConditionalPutResult, MultipartUpload, ObjectInfo, ObjectRange, ObjectStore, PutOptions, StoredObject } from './contract.js';
import { AwsAccessError, BatchDeleteError, describeCause, httpStatusOf, type KeyFailure } from './errors.js';

/** DeleteObjects accepts at most 1000 keys per request. */
export const DELETE_BATCH_SIZE = 1000;

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) throw new Error('response has no body');
      const body = await response.Body.transformToByteArray();
      return withLastModified<StoredObject>({ key, body, etag: requireEtag('GetObject', this.bucket, key, response.ETag) }, response.LastModified);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw objectAccessError('GetObject', this.bucket, key, error);
    }
  }

  async getRange(key: string, offset: number, length: number): Promise<ObjectRange | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
      if (response.Body === undefined) throw new Error('response has no body');
      const body = await response.Body.transformToByteArray();
      return rangeOfAnswer(this.bucket, key, { status: response.$metadata.httpStatusCode, body, contentRange: response.ContentRange }, offset, length);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      if (isRangeOfEmptyObject(error, offset)) return { body: new Uint8Array(0), size: 0 };
      throw objectAccessError('GetObject', this.bucket, key, error);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const response = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const info: ObjectInfo = {
        key,
        size: response.ContentLength ?? 0,
        etag: requireEtag('HeadObject', this.bucket, key, response.ETag),
      };
      return withLastModified(info, response.LastModified);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw objectAccessError('HeadObject', this.bucket, key, error);
    }
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<string> {
    try {
      const response = await this.client.send(new PutObjectCommand(this.putInput(key, body, options)));
      return requireEtag('PutObject', this.bucket, key, response.ETag);
    } catch (error) {
      throw objectAccessError('PutObject', this.bucket, key, error);
    }
  }

  async startMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload> {
    const { Bucket, Key, ContentType, Metadata } = this.putInput(key, new Uint8Array(0), options);
    let uploadId: string;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType, Metadata }));
      if (created.UploadId === undefined) throw new Error('response has no UploadId');
      uploadId = created.UploadId;
    } catch (error) {
      throw objectAccessError('CreateMultipartUpload', this.bucket, key, error);
    }
    const parts: Array<{ PartNumber: number; ETag: string }> = [];
    return {
      uploadPart: async (partNumber, body) => {
        try {
          const response = await this.client.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: body.length }));
          parts.push({ PartNumber: partNumber, ETag: requireEtag('UploadPart', this.bucket, key, response.ETag) });
        } catch (error) {
          throw objectAccessError('UploadPart', this.bucket, key, error);
        }
      },
      complete: async () => {
        try {
          const sorted = [...parts].sort((a, b) => a.PartNumber - b.PartNumber);
          const response = await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: sorted } }));
          return requireEtag('CompleteMultipartUpload', this.bucket, key, response.ETag);
        } catch (error) {
          throw objectAccessError('CompleteMultipartUpload', this.bucket, key, error);
        }
      },
      abort: async () => {
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }));
        } catch (error) {
          throw objectAccessError('AbortMultipartUpload', this.bucket, key, error);
        }
      },
    };
  }

  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.conditionalPut({ ...this.putInput(key, body, options), IfNoneMatch: '*' });
  }

  putIfMatch(key: string, body: Uint8Array, etag: string, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.conditionalPut({ ...this.putInput(key, body, options), IfMatch: etag });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let continuationToken: string | undefined;
    do {
      let response;
      try {
        response = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
        );
      } catch (error) {
        throw new AwsAccessError(`could not list s3://${this.bucket}/${prefix}*: ${describeCause(error)}`, {
          cause: error,
          operation: 'ListObjectsV2',
          bucket: this.bucket,
          key: prefix,
        });
      }
      for (const object of response.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield withLastModified<ObjectInfo>({ key: object.Key, size: object.Size ?? 0, etag: object.ETag ?? '' }, object.LastModified);
      }
      continuationToken = response.IsTruncated ? response.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const failures: KeyFailure[] = [];
    // Every batch is attempted (deleting is idempotent) so that the error lists all keys left behind.
    for (let start = 0; start < keys.length; start += DELETE_BATCH_SIZE) {
      const batch = keys.slice(start, start + DELETE_BATCH_SIZE);
      let response;
      try {
        response = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (error) {
        throw new AwsAccessError(
          `could not delete ${batch.length} object(s) from s3://${this.bucket} (first ${batch[0]}): ${describeCause(error)}`,
          { cause: error, operation: 'DeleteObjects', bucket: this.bucket },
        );
      }
      for (const failure of response.Errors ?? []) {
        failures.push({ key: failure.Key ?? '?', code: failure.Code ?? 'Unknown', message: failure.Message ?? '' });
      }
    }
    if (failures.length > 0) throw new BatchDeleteError(this.bucket, failures);
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: copySource(this.bucket, fromKey) }),
      );
    } catch (error) {
      throw new AwsAccessError(
        `could not copy s3://${this.bucket}/${fromKey} to ${toKey}: ${describeCause(error)}`,
        { cause: error, operation: 'CopyObject', bucket: this.bucket, key: fromKey },
      );
    }
  }

  private async conditionalPut(input: PutObjectCommandInput): Promise<ConditionalPutResult> {
    const key = input.Key ?? '';
    try {
      const response = await this.client.send(new PutObjectCommand(input));
      return { outcome: 'written', etag: requireEtag('PutObject', this.bucket, key, response.ETag) };
    } catch (error) {
      const refused = conditionalRefusal(error);
      if (refused !== undefined) return refused;
      throw objectAccessError('PutObject', this.bucket, key, error);
    }
  }

  private putInput(key: string, body: Uint8Array, options: PutOptions | undefined): PutObjectCommandInput {
    const input: PutObjectCommandInput = { Bucket: this.bucket, Key: key, Body: body };
    if (options?.contentType !== undefined) input.ContentType = options.contentType;
    if (options?.metadata !== undefined) input.Metadata = options.metadata;
    return input;
  }
}

/** How an object request fails: the operation, the object and S3's error, and how many attempts were made. */
export function objectAccessError(operation: string, bucket: string, key: string, cause: unknown, attempts = 1): AwsAccessError {
  if (cause instanceof AwsAccessError) return cause;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new AwsAccessError(`${operation} s3://${bucket}/${key} failed${tries}: ${describeCause(cause)}`, { cause, operation, bucket, key });
}

// Compare-and-swap depends on ETags; a store that omits them must fail loudly, not loop on 412s.
export function requireEtag(operation: string, bucket: string, key: string, etag: string | undefined): string {
  if (etag === undefined || etag === '') throw new AwsAccessError(`${operation} s3://${bucket}/${key} returned no ETag`, { operation, bucket, key });
  return etag;
}

/**
 * 404 for the key, not the bucket: a missing bucket is a configuration error, not an absent object.
 * A HEAD's 404 has no body to tell them apart: it counts as the key's, as the SDK's NotFound does.
 */
export function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error) || isNoSuchBucket(error)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || httpStatusOf(error) === 404;
}

function isNoSuchBucket(error: unknown): boolean {
  return error instanceof Error && error.name === 'NoSuchBucket';
}

/** A conditional PutObject's refusal as its outcome (412, 409, 404 for the key); undefined for a failure. */
export function conditionalRefusal(error: unknown): ConditionalPutResult | undefined {
  if (isNoSuchBucket(error)) return undefined;
  switch (httpStatusOf(error)) {
    case 412:
      return { outcome: 'precondition-failed' };
    case 409:
      return { outcome: 'conflict' };
    case 404:
      return { outcome: 'missing' };
    default:
      return undefined;
  }
}

/** An empty object has no byte 0: S3 answers 416 to any range of it, which reads as the empty object. */
export function isRangeOfEmptyObject(error: unknown, offset: number): boolean {
  return httpStatusOf(error) === 416 && offset === 0;
}

/** The object's size from a ranged GET's Content-Range, "bytes 0-1023/5000": the number after the slash. */
/**
 * A ranged GetObject's answer as a range and the object's size: a 206 carries the range and its
 * Content-Range; a 200 (a server that ignored Range) carries the whole object.
 */
export function rangeOfAnswer(bucket: string, key: string, answer: { status: number | undefined; body: Uint8Array; contentRange: string | undefined }, offset: number, length: number): ObjectRange {
  if (answer.status === 200) return { body: answer.body.subarray(offset, offset + length), size: answer.body.length };
  const size = Number(/\/(\d+)$/.exec(answer.contentRange ?? '')?.[1] ?? Number.NaN);
  if (!Number.isSafeInteger(size)) throw objectAccessError('GetObject', bucket, key, new Error(`response has no usable Content-Range (${String(answer.contentRange)})`));
  return { body: answer.body, size };
}

export function withLastModified<T extends { lastModified?: Date }>(value: T, lastModified: Date | undefined): T {
  if (lastModified !== undefined) value.lastModified = lastModified;
  return value;
}

/** A key as a URL path: each segment percent-encoded as RFC 3986 asks (what S3 signs), slashes kept. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/**
 * The `x-amz-copy-source` header value: `bucket/key`, the key encoded as in a request path. The SDK
 * sends it verbatim, so a key with a space or `+` must be encoded here.
 */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeKey(key)}`;
}
