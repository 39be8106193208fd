/**
 * Runs the embedded stack in its own process for the ingest benchmark, so that the S3 server's
 * CPU is not counted as the handler's. Prints one JSON line {endpoint, bucket} once the bucket
 * exists, and stops when its standard input closes.
 */
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { strataResources } from '../../lib/aws/resources.js';
import { bootstrapResources } from '../../lib/local/bootstrap.js';
import { startEmbeddedStack } from '../../lib/local/stack.js';

const stack = await startEmbeddedStack({ port: 0 });
const env = { AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: 'us-east-1' };
const resources = await bootstrapResources({ s3: createS3Client(env), sqs: createSqsClient(env) }, strataResources('bench'));
process.stdout.write(JSON.stringify({ endpoint: stack.endpoint, bucket: resources.bucket }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void stack.stop().then(() => process.exit(0));
});
