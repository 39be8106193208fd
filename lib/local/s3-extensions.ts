/**
 * What the embedded stack adds to fauxqs' S3 endpoint: conditional writes (`If-None-Match: *`,
 * `If-Match: <etag>`) and bucket notifications to SQS.
 *
 * A `preHandler` hook (it runs once the body has been received) takes over every request that
 * writes or deletes objects: it checks the preconditions against the stored object and then runs
 * fauxqs' own action for the request in the same synchronous step, so no other request can slip
 * in between the check and the write. The store's write methods are wrapped to record what was
 * actually committed, and each recorded change is published as an S3 event before control returns
 * to the event loop: exactly one event per committed write, none for a rejected one.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FauxqsInternals, FauxqsObject, FauxqsS3Action, FauxqsS3Store } from './fauxqs.js';
import {
  type BucketNotifications,
  type ObjectChange,
  type RequestContext,
  type S3EventName,
  newHostId,
  parseNotificationConfiguration,
  serializeNotificationConfiguration,
} from './notifications.js';
import { S3ServiceError, noSuchBucket, noSuchKey, notImplemented, preconditionFailed } from './s3-errors.js';

type Operation =
  | { kind: 'put-notification' | 'get-notification'; bucket: string }
  | {
      kind: 'write';
      action: FauxqsS3Action;
      eventName: S3EventName;
      /** The object the preconditions apply to; absent for DeleteObjects, which has none. */
      target?: { bucket: string; key: string; allowIfNoneMatch: boolean };
    };

type Change = Omit<ObjectChange, 'eventName'>;

export function installS3Extensions(
  app: FastifyInstance,
  s3: FauxqsS3Store,
  notifications: BucketNotifications,
  fauxqs: FauxqsInternals,
): void {
  const recorder = recordChanges(s3, notifications);

  const sendError = (reply: FastifyReply, error: unknown, context: RequestContext) => {
    if (error instanceof S3ServiceError) {
      reply.status(error.statusCode).header('content-type', 'application/xml').send(error.toXml(context.requestId, context.hostId));
    } else if (fauxqs.isS3Error(error)) {
      reply.status(error.statusCode).header('content-type', 'application/xml').send(error.toXml());
    } else {
      throw error;
    }
  };

  // Deliberately free of `await`: check, write and event publication happen in one synchronous step.
  app.addHook('preHandler', async (request, reply) => {
    const operation = classify(request, s3, fauxqs);
    if (!operation) return;
    const context = requestContext(request);
    reply.header('x-amz-request-id', context.requestId).header('x-amz-id-2', context.hostId);
    try {
      if (operation.kind === 'write') {
        const { target } = operation;
        if (target && s3.hasBucket(target.bucket)) {
          const conditions = { ifMatch: header(request, 'if-match'), ifNoneMatch: header(request, 'if-none-match') };
          checkPreconditions(conditions, s3.buckets.get(target.bucket)?.get(target.key), target.key, target.allowIfNoneMatch);
        }
        const { changes, error } = recorder.during(() => operation.action(request, reply, s3));
        for (const change of changes) {
          notifications.publish({ ...change, eventName: operation.eventName }, context);
        }
        if (error !== undefined) throw error;
      } else if (!s3.hasBucket(operation.bucket)) {
        throw noSuchBucket(operation.bucket);
      } else if (operation.kind === 'put-notification') {
        const configurations = parseNotificationConfiguration(bodyText(request));
        const skipValidation = header(request, 'x-amz-skip-destination-validation') === 'true';
        notifications.set(operation.bucket, configurations, context, skipValidation);
        reply.status(200).send();
      } else {
        const xml = serializeNotificationConfiguration(notifications.get(operation.bucket));
        reply.status(200).header('content-type', 'application/xml').send(xml);
      }
    } catch (error) {
      sendError(reply, error, context);
    }
    return reply;
  });
}

/** Mirrors fauxqs' S3 routing for the requests the hook takes over; anything else passes through. */
function classify(request: FastifyRequest, s3: FauxqsS3Store, fauxqs: FauxqsInternals): Operation | undefined {
  const route = request.routeOptions.url;
  if (route !== '/:bucket' && route !== '/:bucket/*') return undefined;
  const { bucket, '*': key = '' } = request.params as { bucket: string; '*'?: string };
  const query = (request.query ?? {}) as Record<string, string | undefined>;
  const { actions } = fauxqs;
  if (!key) {
    if ('notification' in query && request.method === 'PUT') return { kind: 'put-notification', bucket };
    if ('notification' in query && request.method === 'GET') return { kind: 'get-notification', bucket };
    if (request.method === 'POST') return { kind: 'write', action: actions.deleteObjects, eventName: 'ObjectRemoved:Delete' };
    return undefined;
  }
  switch (request.method) {
    case 'PUT': {
      if (query['uploadId'] && query['partNumber']) return undefined;
      const copy = header(request, 'x-amz-copy-source') !== undefined;
      return {
        kind: 'write',
        action: actions.putObject,
        eventName: copy ? 'ObjectCreated:Copy' : 'ObjectCreated:Put',
        target: { bucket, key, allowIfNoneMatch: true },
      };
    }
    case 'POST': {
      if ('uploads' in query) return undefined;
      const uploadId = query['uploadId'];
      if (!uploadId) return { kind: 'write', action: actions.deleteObjects, eventName: 'ObjectRemoved:Delete' };
      const upload = s3.multipartUploads.get(uploadId);
      return {
        kind: 'write',
        action: actions.completeMultipartUpload,
        eventName: 'ObjectCreated:CompleteMultipartUpload',
        // Without the upload there is nothing to check: fauxqs answers NoSuchUpload.
        ...(upload && { target: { bucket: upload.bucket, key: upload.key, allowIfNoneMatch: true } }),
      };
    }
    case 'DELETE':
      if (query['uploadId']) return undefined;
      return {
        kind: 'write',
        action: actions.deleteObject,
        eventName: 'ObjectRemoved:Delete',
        target: { bucket, key, allowIfNoneMatch: false },
      };
    default:
      return undefined;
  }
}

/** The conditional headers of a write (If-Match, If-None-Match), as sent. */
export interface WriteConditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
}

/**
 * S3's conditional write rules; evaluated in RFC 7232 order, If-Match first. Throws the S3 error
 * (412, 404 or 501) the write must be answered with. The HTTP endpoint and the in-process store
 * (in-process-store.ts) both check writes here.
 */
export function checkPreconditions(conditions: WriteConditions, current: FauxqsObject | undefined, key: string, allowIfNoneMatch: boolean): void {
  const { ifMatch, ifNoneMatch } = conditions;
  if (ifMatch !== undefined) {
    if (!current) throw noSuchKey(key);
    if (!etagMatches(ifMatch, current.etag)) throw preconditionFailed('If-Match');
  }
  if (ifNoneMatch !== undefined && allowIfNoneMatch) {
    if (ifNoneMatch.trim() !== '*') throw notImplemented('If-None-Match');
    if (current) throw preconditionFailed('If-None-Match');
  }
}

function etagMatches(condition: string, etag: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, '').replaceAll('"', '');
  return condition.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** Wraps the store's write methods so a request can learn exactly which changes it committed. */
function recordChanges(s3: FauxqsS3Store, notifications: BucketNotifications) {
  let recording: Change[] | undefined;
  const putObject = s3.putObject.bind(s3);
  const completeMultipartUpload = s3.completeMultipartUpload.bind(s3);
  const deleteObject = s3.deleteObject.bind(s3);
  const deleteBucket = s3.deleteBucket.bind(s3);
  const describe = (object: FauxqsObject) => ({ size: object.contentLength, etag: object.etag });

  s3.putObject = (bucket, key, ...rest) => {
    const object = putObject(bucket, key, ...rest);
    recording?.push({ bucket, key, object: describe(object) });
    return object;
  };
  s3.completeMultipartUpload = (uploadId, parts) => {
    const upload = s3.multipartUploads.get(uploadId);
    const object = completeMultipartUpload(uploadId, parts);
    if (upload) recording?.push({ bucket: upload.bucket, key: upload.key, object: describe(object) });
    return object;
  };
  // S3 reports a deletion even when the key did not exist, so this records unconditionally.
  s3.deleteObject = (bucket, key) => {
    deleteObject(bucket, key);
    recording?.push({ bucket, key });
  };
  s3.deleteBucket = (name) => {
    deleteBucket(name);
    notifications.drop(name);
  };

  return {
    during(run: () => void): { changes: Change[]; error: unknown } {
      const changes: Change[] = [];
      recording = changes;
      try {
        run();
        return { changes, error: undefined };
      } catch (error) {
        return { changes, error };
      } finally {
        recording = undefined;
      }
    },
  };
}

function requestContext(request: FastifyRequest): RequestContext {
  const accessKey = /Credential=([^/,\s]+)\//.exec(header(request, 'authorization') ?? '')?.[1];
  return {
    requestId: randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase(),
    hostId: newHostId(),
    principalId: accessKey ? `AWS:${accessKey}` : 'anonymous',
    sourceIp: request.ip,
  };
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function bodyText(request: FastifyRequest): string {
  const body: unknown = request.body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return typeof body === 'string' ? body : '';
}
