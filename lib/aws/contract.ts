/**
 * The storage and queue operations the pipeline needs, independent of the AWS SDK.
 *
 * `lib/` code takes these interfaces as arguments so that it can be tested without the network;
 * `s3.ts` and `sqs.ts` implement them over the SDK clients, against AWS, LocalStack or the
 * embedded stack alike.
 */

/** An object read from the store. `etag` is the quoted ETag as S3 returns it. */
export interface StoredObject {
  key: string;
  body: Uint8Array;
  etag: string;
  lastModified?: Date;
}

export interface ObjectRange {
  body: Uint8Array;
  /** The whole object's size in bytes. */
  size: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
}

/** Outcome of a conditional write. None of these is an error: callers decide what they mean. */
export type ConditionalPutResult =
  | { outcome: 'written'; etag: string }
  /** 412: the object exists (create-if-absent) or its ETag differs (compare-and-swap). */
  | { outcome: 'precondition-failed' }
  /** 409: another conditional write to the same key was in progress; re-read and retry. */
  | { outcome: 'conflict' }
  /** 404: compare-and-swap on a key that does not exist. */
  | { outcome: 'missing' };

export interface PutOptions {
  contentType?: string;
  /** User metadata, sent as x-amz-meta-* headers. */
  metadata?: Record<string, string>;
}

export interface ObjectStore {
  readonly bucket: string;
  /** Returns undefined when the key does not exist. */
  get(key: string): Promise<StoredObject | undefined>;
  /**
   * Up to `length` bytes of the object from `offset` (fewer at its end) and the object's size, or
   * undefined when the key does not exist: a ranged GET, for reading a file's header without its
   * body, or a large file a window at a time. `offset` must be below the size (or 0).
   */
  getRange(key: string, offset: number, length: number): Promise<ObjectRange | undefined>;
  /** Returns undefined when the key does not exist. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Unconditional write; returns the new ETag. */
  put(key: string, body: Uint8Array, options?: PutOptions): Promise<string>;
  /** Create-if-absent: `PutObject` with `If-None-Match: *`. */
  putIfAbsent(key: string, body: Uint8Array, options?: PutOptions): Promise<ConditionalPutResult>;
  /** Compare-and-swap: `PutObject` with `If-Match: <etag>`. */
  putIfMatch(key: string, body: Uint8Array, etag: string, options?: PutOptions): Promise<ConditionalPutResult>;
  /** Every object under the prefix, in key order, following continuation tokens. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes the keys in batches of up to 1000; deleting a missing key is not an error. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Server-side copy within the bucket. */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Starts writing an object a part at a time (S3 multipart upload), for objects too large to hold in memory. */
  startMultipartUpload(key: string, options?: PutOptions): Promise<MultipartUpload>;
}

/**
 * An object being written in parts. Every part but the last must be at least 5 MiB (S3's rule);
 * parts may be uploaded in any order, the object is their concatenation in part-number order.
 * Nothing is visible under the key until `complete`; an upload that is neither completed nor
 * aborted is removed by the bucket's lifecycle rule.
 */
export interface MultipartUpload {
  uploadPart(partNumber: number, body: Uint8Array): Promise<void>;
  /** Publishes the object; returns its ETag. */
  complete(): Promise<string>;
  abort(): Promise<void>;
}

/** S3's smallest part (all but the last). */
export const minPartBytes = 5 * 2 ** 20;

/** The object a multipart upload makes: its parts concatenated in part-number order. */
export function assembleParts(parts: ReadonlyMap<number, Uint8Array>): Uint8Array {
  return Buffer.concat([...parts].sort(([a], [b]) => a - b).map(([, body]) => body));
}

export interface OutgoingMessage {
  /** Unique within one sendBatch call; used to report which entries failed. */
  id: string;
  body: string;
  /** FIFO queues only. */
  groupId?: string;
  /** FIFO queues only. */
  deduplicationId?: string;
  delaySeconds?: number;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount and the other system attributes, as strings. */
  attributes: Record<string, string>;
}

export interface ReceiveOptions {
  maxMessages?: number;
  waitSeconds?: number;
  visibilityTimeoutSeconds?: number;
}

export interface MessageQueue {
  readonly url: string;
  /** Sends in batches of 10; retries entries SQS reports as failed and throws if any still fail. */
  sendBatch(messages: readonly OutgoingMessage[]): Promise<void>;
  receive(options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  /** Deletes in batches of 10; throws if any entry fails. */
  deleteBatch(receiptHandles: readonly string[]): Promise<void>;
  changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void>;
}
