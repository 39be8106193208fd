/**
 * Counts the requests the embedded stack serves, by caller, operation and the price class AWS
 * bills them in: what a deployment would pay for S3 and SQS requests, measured where they arrive
 * rather than estimated in each client.
 *
 * The caller is the `app/<id>` part of the SDK's User-Agent (AWS_SDK_UA_APP_ID, see
 * lib/aws/clients.ts); `strata dev` gives each function its own, so requests are attributed to the
 * function that made them. Requests without one count as caller "other".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestPriceClass } from '../cost/model.js';

/** The price class AWS bills a request in; 'unbilled' for the stack's own endpoints (not S3 or SQS). */
export type PriceClass = RequestPriceClass | 'unbilled';

export interface RequestCount {
  caller: string;
  service: 's3' | 'sqs' | 'other';
  operation: string;
  /** What it was about: the first part of the key or listing prefix (`segments/`, `state/`, …), or the queue's name. */
  resource: string;
  priceClass: PriceClass;
  requests: number;
  /** Billed units: requests for S3, 64 KB chunks for SQS. */
  units: number;
  /** Answers with a 4xx or 5xx status (S3 and SQS bill most of them too). */
  errors: number;
}

interface Classified {
  service: RequestCount['service'];
  operation: string;
  resource: string;
  priceClass: PriceClass;
  units: number;
}

const sqsChunkBytes = 64 * 1024;

export class RequestMeter {
  private readonly counts = new Map<string, RequestCount>();

  record(caller: string, request: Classified, failed: boolean): void {
    const key = `${caller}\t${request.service}\t${request.operation}\t${request.resource}\t${request.priceClass}`;
    let count = this.counts.get(key);
    if (count === undefined) {
      const { service, operation, resource, priceClass } = request;
      count = { caller, service, operation, resource, priceClass, requests: 0, units: 0, errors: 0 };
      this.counts.set(key, count);
    }
    count.requests++;
    count.units += request.units;
    if (failed) count.errors++;
  }

  /** A copy of the counts so far, sorted by caller, service, operation and resource. */
  snapshot(): RequestCount[] {
    const order = (count: RequestCount) => `${count.caller}\t${count.service}\t${count.operation}\t${count.resource}`;
    return [...this.counts.values()].map((count) => ({ ...count })).sort((a, b) => order(a).localeCompare(order(b)));
  }
}

/** Records every answered request of `app` (fauxqs' Fastify app) in `meter`. */
export function installRequestMeter(app: FastifyInstance, meter: RequestMeter): void {
  app.addHook('onResponse', async (request, reply) => {
    const responseBytes = Number(reply.getHeader('content-length') ?? 0);
    meter.record(callerOf(request), classifyRequest(request, responseBytes), reply.statusCode >= 400);
  });
}

export function callerOf(request: Pick<FastifyRequest, 'headers'>): string {
  const agent = header(request, 'user-agent') ?? '';
  return /(?:^|\s)app\/(\S+)/.exec(agent)?.[1] ?? 'other';
}

type RequestView = Pick<FastifyRequest, 'headers' | 'method' | 'body' | 'query' | 'params'> & { routeOptions: { url?: string | undefined } };

export function classifyRequest(request: RequestView, responseBytes: number): Classified {
  const target = header(request, 'x-amz-target');
  if (target?.startsWith('AmazonSQS.')) {
    const queueUrl = (request.body as { QueueUrl?: unknown } | undefined)?.QueueUrl;
    const payload = Math.max(Number(header(request, 'content-length') ?? 0), responseBytes);
    return {
      service: 'sqs',
      operation: target.slice('AmazonSQS.'.length),
      resource: typeof queueUrl === 'string' ? (queueUrl.split('/').pop() ?? '') : '',
      priceClass: typeof queueUrl === 'string' && queueUrl.endsWith('.fifo') ? 'sqs-fifo' : 'sqs-standard',
      units: Math.max(1, Math.ceil(payload / sqsChunkBytes)),
    };
  }
  const route = request.routeOptions.url;
  if (route === '/:bucket' || route === '/:bucket/*') {
    const { '*': key = '' } = (request.params ?? {}) as { '*'?: string };
    const query = (request.query ?? {}) as Record<string, unknown>;
    const operation = s3Operation(request.method, key !== '', query, header(request, 'x-amz-copy-source') !== undefined);
    const path = key !== '' ? key : typeof query['prefix'] === 'string' ? query['prefix'] : '';
    const slash = path.indexOf('/');
    return { service: 's3', operation, resource: slash < 0 ? path : path.slice(0, slash + 1), priceClass: s3PriceClass(operation), units: 1 };
  }
  return { service: 'other', operation: `${request.method} ${route ?? '?'}`, resource: '', priceClass: 'unbilled', units: 1 };
}

function s3Operation(method: string, hasKey: boolean, query: Record<string, unknown>, copy: boolean): string {
  const has = (name: string) => name in query;
  if (hasKey) {
    switch (method) {
      case 'GET':
        return 'GetObject';
      case 'HEAD':
        return 'HeadObject';
      case 'PUT':
        return copy ? 'CopyObject' : has('partNumber') ? 'UploadPart' : 'PutObject';
      case 'POST':
        return has('uploads') ? 'CreateMultipartUpload' : has('uploadId') ? 'CompleteMultipartUpload' : 'PostObject';
      case 'DELETE':
        return has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    }
  } else {
    switch (method) {
      case 'GET':
        return query['list-type'] === '2' ? 'ListObjectsV2' : has('notification') ? 'GetBucketNotificationConfiguration' : has('uploads') ? 'ListMultipartUploads' : 'ListObjects';
      case 'HEAD':
        return 'HeadBucket';
      case 'PUT':
        return has('notification') ? 'PutBucketNotificationConfiguration' : 'CreateBucket';
      case 'POST':
        return has('delete') ? 'DeleteObjects' : 'PostBucket';
      case 'DELETE':
        return 'DeleteBucket';
    }
  }
  return `${method} ${hasKey ? 'object' : 'bucket'}`;
}

const tier1 = new Set(['PutObject', 'CopyObject', 'UploadPart', 'PostObject', 'CreateMultipartUpload', 'CompleteMultipartUpload', 'ListObjectsV2', 'ListObjects', 'ListMultipartUploads', 'PutBucketNotificationConfiguration', 'CreateBucket', 'PostBucket', 'DeleteObjects']);
const free = new Set(['DeleteObject', 'AbortMultipartUpload', 'DeleteBucket']);

/**
 * DeleteObjects is a POST: counted at the PUT/POST price, the cautious reading of the price list
 * (which says only that DELETE requests are free); one request deletes up to 1,000 keys.
 */
function s3PriceClass(operation: string): PriceClass {
  return tier1.has(operation) ? 's3-tier1' : free.has(operation) ? 's3-free' : 's3-tier2';
}

function header(request: Pick<FastifyRequest, 'headers'>, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
