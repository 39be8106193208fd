/**
 * The ingest server on the embedded stack, for integration tests: the stack on a random port,
 * Strata's bucket bootstrapped through the AWS SDK, `startIngestServer` writing through `S3Direct` as
 * the deployed function does, and a reader that lists and opens every segment through the SDK.
 */
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { strataResources } from '../../lib/aws/resources.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { S3Direct } from '../../lib/aws/s3-direct.js';
import { ingestConfig } from '../../lib/ingest/config.js';
import type { IngestConfig } from '../../lib/ingest/contract.js';
import { startIngestServer, type IngestServer } from '../../lib/ingest/server.js';
import { bootstrapResources } from '../../lib/local/bootstrap.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../lib/local/stack.js';
import { jsonLogger } from '../../lib/log/logger.js';
import { decodeFile, type FileHeader, type Series } from '../../lib/segment/format.js';
import { parseDataKey, prefixes } from '../../lib/segment/keys.js';

export interface IngestStack {
  stack: EmbeddedStack;
  store: S3ObjectStore;
  server: IngestServer;
  /** Every segment in the bucket, read and validated through the SDK. */
  readSegments(): Promise<Array<{ key: string; header: FileHeader; series: Series[] }>>;
  stop(): Promise<void>;
}

export async function startIngestStack(config: IngestConfig = ingestConfig()): Promise<IngestStack> {
  const stack = await startEmbeddedStack({ port: 0 });
  const env = { AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: stack.region };
  const s3 = createS3Client(env);
  const sqs = createSqsClient(env);
  const { bucket } = await bootstrapResources({ s3, sqs }, strataResources('ingest-test'));
  const store = new S3ObjectStore(s3, bucket);
  const writer = new S3Direct(s3, bucket);
  const logLevel = process.env['STRATA_TEST_LOGS'] === '1' ? 'debug' : 'error';
  const server = await startIngestServer({ port: 0, store: writer, config, logger: jsonLogger({ level: logLevel }) });
  return {
    stack,
    store,
    server,
    async readSegments() {
      const out = [];
      for await (const info of store.list(prefixes.segments)) {
        const object = await store.get(info.key);
        if (object === undefined) throw new Error(`${info.key} was listed but is gone`);
        out.push({ key: info.key, ...decodeFile(object.body, { expectKey: parseDataKey(info.key) }) });
      }
      return out;
    },
    async stop() {
      await server.stop();
      writer.destroy();
      s3.destroy();
      sqs.destroy();
      await stack.stop();
    },
  };
}
