/**
 * Where the campaigns keep their objects: the embedded stack (lib/local), started once per
 * campaign, with a fresh bucket per seed. Its conditional writes, ETags and listings are the real
 * ones either way; the backend only decides how they are reached:
 *
 * - `in-process` (the default): the stack's in-process store (lib/local/in-process-store.ts), the
 *   same objects and the same checks without HTTP — about a fifth of the CPU per seed (docs/testing.md);
 * - `http`: the functions' own store (DirectS3ObjectStore: signed requests, the SDK for listings and
 *   deletes) against the stack's endpoint, as the pipeline reaches S3.
 */
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { ObjectStore } from '../../lib/aws/contract.js';
import { createS3Client } from '../../lib/aws/clients.js';
import { DirectS3ObjectStore } from '../../lib/aws/s3-direct.js';
import { startEmbeddedStack } from '../../lib/local/stack.js';

export type BackendKind = 'in-process' | 'http';

export interface ChaosBackend {
  readonly kind: BackendKind;
  /** A new, empty bucket. */
  openBucket(name: string): Promise<ObjectStore>;
  /** Empties and deletes it. */
  closeBucket(store: ObjectStore): Promise<void>;
  stop(): Promise<void>;
}

export async function startChaosBackend(kind: BackendKind): Promise<ChaosBackend> {
  const stack = await startEmbeddedStack({ port: 0 });
  const s3 = createS3Client({ AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: stack.region, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  return {
    kind,
    async openBucket(name) {
      if (kind === 'in-process') return stack.inProcessStore(name);
      stack.createBucket(name);
      return new DirectS3ObjectStore(s3, name);
    },
    async closeBucket(store) {
      const keys: string[] = [];
      for await (const object of store.list('')) keys.push(object.key);
      await store.deleteMany(keys);
      await s3.send(new DeleteBucketCommand({ Bucket: store.bucket }));
    },
    async stop() {
      s3.destroy();
      await stack.stop();
    },
  };
}
