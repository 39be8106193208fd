/**
 * Typed access to the parts of fauxqs 1.9.2 that its package entry point does not export.
 *
 * The embedded stack needs fauxqs' stores (to read the current object atomically with a
 * write, and to enqueue S3 events straight into a queue) and its S3 request actions (to run
 * a write in the same synchronous step as its precondition check). The package's `exports`
 * map only exposes `buildApp`, so the modules are loaded by URL next to its resolved entry
 * point; that yields the very module instances `buildApp` uses, so `instanceof` still holds.
 * Only the members used here are typed; fauxqs is pinned, so the shapes cannot drift.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface FauxqsObject {
  key: string;
  body: Buffer;
  contentType: string;
  contentLength: number;
  /** Quoted, as S3 returns it. */
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export interface FauxqsMultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
}

export interface FauxqsS3Store {
  buckets: Map<string, Map<string, FauxqsObject>>;
  multipartUploads: Map<string, FauxqsMultipartUpload>;
  hasBucket(name: string): boolean;
  createBucket(name: string): void;
  /** Objects under `prefix`, in the order fauxqs lists them, at most `maxKeys`. */
  listObjects(bucket: string, options?: { prefix?: string; maxKeys?: number }): { objects: FauxqsObject[]; isTruncated: boolean };
  putObject(
    bucket: string,
    key: string,
    body: Buffer,
    contentType?: string,
    metadata?: Record<string, string>,
  ): FauxqsObject;
  completeMultipartUpload(uploadId: string, parts: { partNumber: number; etag: string }[]): FauxqsObject;
  deleteObject(bucket: string, key: string): void;
  deleteBucket(name: string): void;
}

export interface FauxqsSqsMessage {
  messageId: string;
  body: string;
}

export interface FauxqsSqsQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  attributes: Record<string, string>;
  isFifo(): boolean;
  enqueue(message: FauxqsSqsMessage): void;
}

export interface FauxqsSqsStore {
  getQueueByArn(arn: string): FauxqsSqsQueue | undefined;
}

/** fauxqs' S3 error: the S3 router renders it as an S3 XML error body. */
export interface FauxqsS3Error extends Error {
  code: string;
  statusCode: number;
  toXml(): string;
}

/** A fauxqs S3 action: reads the parsed request, writes the store and sends the reply synchronously. */
export type FauxqsS3Action = (request: FastifyRequest, reply: FastifyReply, store: FauxqsS3Store) => void;

export interface FauxqsInternals {
  S3Store: new () => FauxqsS3Store;
  SqsStore: new () => FauxqsSqsStore;
  SnsStore: new () => object;
  createSqsMessage(body: string, messageAttributes?: Record<string, never>, delaySeconds?: number): FauxqsSqsMessage;
  isS3Error(error: unknown): error is FauxqsS3Error;
  actions: {
    putObject: FauxqsS3Action;
    completeMultipartUpload: FauxqsS3Action;
    deleteObject: FauxqsS3Action;
    deleteObjects: FauxqsS3Action;
  };
}

let loaded: Promise<FauxqsInternals> | undefined;

export function loadFauxqsInternals(): Promise<FauxqsInternals> {
  loaded ??= load();
  return loaded;
}

async function load(): Promise<FauxqsInternals> {
  const entry = import.meta.resolve('fauxqs');
  const module = (path: string) => import(new URL(path, entry).href);
  const [s3Store, sqsStore, snsStore, errors, putObject, complete, deleteObject, deleteObjects] = await Promise.all([
    module('./s3/s3Store.js'),
    module('./sqs/sqsStore.js'),
    module('./sns/snsStore.js'),
    module('./common/errors.js'),
    module('./s3/actions/putObject.js'),
    module('./s3/actions/completeMultipartUpload.js'),
    module('./s3/actions/deleteObject.js'),
    module('./s3/actions/deleteObjects.js'),
  ]);
  const S3Error = errors.S3Error as new (...args: never[]) => FauxqsS3Error;
  return {
    S3Store: s3Store.S3Store,
    SqsStore: sqsStore.SqsStore,
    SnsStore: snsStore.SnsStore,
    createSqsMessage: (body, attributes = {}, delaySeconds) =>
      sqsStore.SqsStore.createMessage(body, attributes, delaySeconds),
    isS3Error: (error): error is FauxqsS3Error => error instanceof S3Error,
    actions: {
      putObject: putObject.putObject,
      completeMultipartUpload: complete.completeMultipartUpload,
      deleteObject: deleteObject.deleteObject,
      deleteObjects: deleteObjects.deleteObjects,
    },
  };
}
