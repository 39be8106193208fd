/**
 * The embedded stack's S3 as an ObjectStore inside the stack's own process, without HTTP or the
 * AWS SDK: the very objects fauxqs serves, written under the same conditional-write checks as the
 * endpoint (`checkPreconditions`), each committed change published as the same bucket
 * notification. It is for work that makes millions of storage calls (the chaos campaigns), where
 * signing, XML and sockets cost several times the pipeline's own work. What it leaves out is
 * the wire — status codes, headers, retries of the SDK — which S3ObjectStore and the local-stack
 * tests cover.
 */
import { assembleParts, minPartBytes, type ConditionalPutResult, type MultipartUpload, type ObjectInfo, type ObjectRange, type ObjectStore, type PutOptions, type StoredObject } from '../aws/contract.js';
import { AwsAccessError } from '../aws/errors.js';
import type { FauxqsObject, FauxqsS3Store } from './fauxqs.js';
import type { ObjectChange, S3EventName } from './notifications.js';
import { S3ServiceError } from './s3-errors.js';
import { checkPreconditions, type WriteConditions } from './s3-extensions.js';

export class InProcessObjectStore implements ObjectStore {
  constructor(
    private readonly s3: FauxqsS3Store,
    readonly bucket: string,
    /** Called once per committed change, as the endpoint publishes its notifications. */
    private readonly publish: (change: ObjectChange) => void = () => {},
  ) {}

  async get(key: string): Promise<StoredObject | undefined> {
    const object = this.objects('GetObject').get(key);
    return object && { key, body: new Uint8Array(object.body), etag: object.etag, lastModified: object.lastModified };
  }

  async getRange(key: string, offset: number, length: number): Promise<ObjectRange | undefined> {
    const object = this.objects('GetObject').get(key);
    return object && { body: new Uint8Array(object.body.subarray(offset, offset + length)), size: object.body.length };
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const object = this.objects('HeadObject').get(key);
    return object && info(object);
  }

  async put(key: string, body: Uint8Array, options?: PutOptions): Promise<string> {
    return this.write(key, body, options).etag;
  }

  async putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.conditional(key, body, options, { ifNoneMatch: '*' });
  }

  async putIfMatch(key: string, body: Uint8Array, etag: string, options?: PutOptions): Promise<ConditionalPutResult> {
    return this.conditional(key, body, options, { ifMatch: etag });
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.objects('ListObjectsV2');
    const listed = this.s3.listObjects(this.bucket, { prefix, maxKeys: Number.MAX_SAFE_INTEGER }).objects.map(info);
    yield* listed;
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    this.objects('DeleteObjects');
    for (const key of keys) {
      this.s3.deleteObject(this.bucket, key);
      this.publish({ bucket: this.bucket, key, eventName: 'ObjectRemoved:Delete' });
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = this.objects('CopyObject').get(fromKey);
    if (source === undefined) {
      throw new AwsAccessError(`could not copy s3://${this.bucket}/${fromKey} to ${toKey}: NoSuchKey`, { operation: 'CopyObject', bucket: this.bucket, key: fromKey });
    }
    this.write(toKey, source.body, { contentType: source.contentType, metadata: source.metadata }, 'ObjectCreated:Copy');
  }

  /** Parts are held here until `complete` writes their concatenation at once, so nothing is visible before it. */
  async startMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload> {
    this.objects('CreateMultipartUpload');
    const parts = new Map<number, Uint8Array>();
    let state: 'open' | 'completed' | 'aborted' = 'open';
    const mustBeOpen = (operation: string) => {
      if (state !== 'open') throw new AwsAccessError(`${operation} s3://${this.bucket}/${key} failed: NoSuchUpload: the upload was ${state}`, { operation, bucket: this.bucket, key });
    };
    return {
      uploadPart: async (partNumber, body) => {
        mustBeOpen('UploadPart');
        parts.set(partNumber, new Uint8Array(body));
      },
      complete: async () => {
        mustBeOpen('CompleteMultipartUpload');
        const last = Math.max(...parts.keys());
        if ([...parts].some(([number, body]) => number !== last && body.length < minPartBytes)) {
          throw new AwsAccessError(`CompleteMultipartUpload s3://${this.bucket}/${key} failed: EntityTooSmall: every part but the last must be at least ${minPartBytes} bytes`, { operation: 'CompleteMultipartUpload', bucket: this.bucket, key });
        }
        state = 'completed';
        return this.write(key, assembleParts(parts), options, 'ObjectCreated:CompleteMultipartUpload').etag;
      },
      abort: async () => {
        state = 'aborted';
      },
    };
  }

  /** Check and write in one synchronous step, as the endpoint does: nothing can come in between. */
  private conditional(key: string, body: Uint8Array, options: PutOptions | undefined, conditions: WriteConditions): ConditionalPutResult {
    try {
      checkPreconditions(conditions, this.objects('PutObject').get(key), key, true);
    } catch (error) {
      if (error instanceof S3ServiceError && error.statusCode === 412) return { outcome: 'precondition-failed' };
      if (error instanceof S3ServiceError && error.statusCode === 404) return { outcome: 'missing' };
      throw new AwsAccessError(`PutObject s3://${this.bucket}/${key} failed: ${(error as Error).message}`, { cause: error, operation: 'PutObject', bucket: this.bucket, key });
    }
    return { outcome: 'written', etag: this.write(key, body, options).etag };
  }

  private write(key: string, body: Uint8Array, options: PutOptions | undefined, eventName: Exclude<S3EventName, 'ObjectRemoved:Delete'> = 'ObjectCreated:Put'): FauxqsObject {
    this.objects('PutObject');
    const object = this.s3.putObject(this.bucket, key, Buffer.from(body), options?.contentType, options?.metadata);
    this.publish({ bucket: this.bucket, key, eventName, object: { size: object.contentLength, etag: object.etag } });
    return object;
  }

  private objects(operation: string): Map<string, FauxqsObject> {
    const objects = this.s3.buckets.get(this.bucket);
    if (objects === undefined) throw new AwsAccessError(`${operation} s3://${this.bucket}: NoSuchBucket: the bucket does not exist`, { operation, bucket: this.bucket });
    return objects;
  }
}

function info(object: FauxqsObject): ObjectInfo {
  return { key: object.key, size: object.contentLength, etag: object.etag, lastModified: object.lastModified };
}
