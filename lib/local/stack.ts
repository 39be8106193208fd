/**
 * The embedded local AWS stack: in-process S3 and SQS endpoints on one port, without Docker.
 *
 * fauxqs serves the APIs; `s3-extensions.ts` adds the conditional writes and bucket
 * notifications the pipeline relies on. Point the AWS SDK at `endpoint` with
 * `forcePathStyle: true` and any credentials.
 */
import type { AddressInfo } from 'node:net';
import { buildApp, type BuildAppOptions } from 'fauxqs';
import type { ObjectStore } from '../aws/contract.js';
import { loadFauxqsInternals } from './fauxqs.js';
import { InProcessObjectStore } from './in-process-store.js';
import { BucketNotifications, newHostId } from './notifications.js';
import { installRequestMeter, RequestMeter } from './request-meter.js';
import { installS3Extensions } from './s3-extensions.js';

export interface EmbeddedStackOptions {
  /** Default 4566, LocalStack's port; 0 picks a free one. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Region for queue ARNs and S3 events when a request does not say; default us-east-1. */
  region?: string;
  /** Log every request (fauxqs' Fastify logger); default false. */
  logRequests?: boolean;
}

export interface EmbeddedStack {
  /** e.g. `http://127.0.0.1:4566`. */
  endpoint: string;
  port: number;
  region: string;
  /** Creates the bucket if it does not exist. */
  createBucket(bucket: string): void;
  /**
   * A bucket of the stack as an ObjectStore in this process, without HTTP (in-process-store.ts);
   * the bucket is created if it does not exist.
   */
  inProcessStore(bucket: string): ObjectStore;
  /** Every request served so far, by caller, operation and price class. */
  requests: RequestMeter;
  stop(): Promise<void>;
}

export class EmbeddedStackStartError extends Error {
  override readonly name = 'EmbeddedStackStartError';
}

export async function startEmbeddedStack(options: EmbeddedStackOptions = {}): Promise<EmbeddedStack> {
  const { port = 4566, host = '127.0.0.1', region = 'us-east-1', logRequests = false } = options;
  const fauxqs = await loadFauxqsInternals();
  const s3Store = new fauxqs.S3Store();
  const sqsStore = new fauxqs.SqsStore();
  const stores = { s3Store, sqsStore, snsStore: new fauxqs.SnsStore() };
  const app = buildApp({
    logger: logRequests,
    defaultRegion: region,
    stores: stores as unknown as NonNullable<BuildAppOptions['stores']>,
  });
  const notifications = new BucketNotifications(sqsStore, fauxqs, region);
  installS3Extensions(app, s3Store, notifications, fauxqs);
  const requests = new RequestMeter();
  installRequestMeter(app, requests);

  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw new EmbeddedStackStartError(`cannot listen on ${host}:${port}`, { cause: error });
  }
  const actualPort = (app.server.address() as AddressInfo).port;
  const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    endpoint: `http://${reachableHost}:${actualPort}`,
    port: actualPort,
    region,
    createBucket: (bucket) => s3Store.createBucket(bucket),
    inProcessStore(bucket) {
      s3Store.createBucket(bucket);
      const request = { requestId: 'in-process', hostId: newHostId(), principalId: 'local', sourceIp: '127.0.0.1' };
      return new InProcessObjectStore(s3Store, bucket, (change) => notifications.publish(change, request));
    },
    requests,
    stop: () => app.close(),
  };
}
