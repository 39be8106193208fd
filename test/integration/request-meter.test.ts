/**
 * The embedded stack's request meter (lib/local/request-meter.ts) through the real AWS SDK: each
 * request counted once, under the caller its User-Agent names, with its operation, the key prefix
 * or queue it was about, and the price class AWS bills it in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import type { RequestCount } from '../../lib/local/request-meter.js';
import { type EmbeddedStack, startEmbeddedStack } from '../../lib/local/stack.js';

let stack: EmbeddedStack;

before(async () => {
  stack = await startEmbeddedStack({ port: 0 });
});

after(async () => {
  await stack.stop();
});

const row = (counts: RequestCount[], caller: string, operation: string, resource = '') =>
  counts.find((count) => count.caller === caller && count.operation === operation && count.resource === resource);

describe('request meter', () => {
  test('S3 requests by caller, operation, key prefix and price class', async () => {
    const env = { AWS_ENDPOINT_URL: stack.endpoint, AWS_SDK_UA_APP_ID: 'strata-meter-s3' };
    const s3 = createS3Client(env);
    const other = createS3Client({ AWS_ENDPOINT_URL: stack.endpoint });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'meter' }));
      await s3.send(new PutObjectCommand({ Bucket: 'meter', Key: 'segments/t/0/a.seg', Body: 'a' }));
      await s3.send(new PutObjectCommand({ Bucket: 'meter', Key: 'segments/t/0/b.seg', Body: 'b' }));
      await assert.rejects(s3.send(new PutObjectCommand({ Bucket: 'meter', Key: 'segments/t/0/a.seg', Body: 'a', IfNoneMatch: '*' })));
      await s3.send(new GetObjectCommand({ Bucket: 'meter', Key: 'segments/t/0/a.seg' })).then((answer) => answer.Body?.transformToString());
      await s3.send(new HeadObjectCommand({ Bucket: 'meter', Key: 'segments/t/0/a.seg' }));
      await s3.send(new ListObjectsV2Command({ Bucket: 'meter', Prefix: 'segments/t/' }));
      await s3.send(new DeleteObjectCommand({ Bucket: 'meter', Key: 'segments/t/0/a.seg' }));
      await s3.send(new DeleteObjectsCommand({ Bucket: 'meter', Delete: { Objects: [{ Key: 'segments/t/0/b.seg' }] } }));
      await other.send(new PutObjectCommand({ Bucket: 'meter', Key: 'state/t/0.json', Body: '{}' }));
    } finally {
      s3.destroy();
      other.destroy();
    }

    const counts = stack.requests.snapshot();
    const caller = 'strata-meter-s3';
    assert.deepEqual(row(counts, caller, 'PutObject', 'segments/'), {
      caller,
      service: 's3',
      operation: 'PutObject',
      resource: 'segments/',
      priceClass: 's3-tier1',
      requests: 3,
      units: 3,
      errors: 1,
    });
    assert.equal(row(counts, caller, 'GetObject', 'segments/')?.priceClass, 's3-tier2');
    assert.equal(row(counts, caller, 'HeadObject', 'segments/')?.priceClass, 's3-tier2');
    assert.equal(row(counts, caller, 'ListObjectsV2', 'segments/')?.priceClass, 's3-tier1');
    assert.equal(row(counts, caller, 'DeleteObject', 'segments/')?.priceClass, 's3-free');
    assert.equal(row(counts, caller, 'DeleteObjects')?.priceClass, 's3-tier1');
    assert.equal(row(counts, caller, 'CreateBucket')?.requests, 1);
    assert.equal(row(counts, 'other', 'PutObject', 'state/')?.requests, 1);
  });

  test('SQS requests by queue, FIFO or standard, in 64 KB chunks', async () => {
    const sqs = createSqsClient({ AWS_ENDPOINT_URL: stack.endpoint, AWS_SDK_UA_APP_ID: 'strata-meter-sqs' });
    try {
      const { QueueUrl: standard } = await sqs.send(new CreateQueueCommand({ QueueName: 'meter-events' }));
      const { QueueUrl: fifo } = await sqs.send(new CreateQueueCommand({ QueueName: 'meter-jobs.fifo', Attributes: { FifoQueue: 'true' } }));
      await sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'small' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: standard, MessageBody: 'x'.repeat(100 * 1024) }));
      await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'job', MessageGroupId: 'g', MessageDeduplicationId: 'd' }));
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: fifo, WaitTimeSeconds: 0 }));
    } finally {
      sqs.destroy();
    }

    const counts = stack.requests.snapshot();
    const caller = 'strata-meter-sqs';
    assert.deepEqual(
      { ...row(counts, caller, 'SendMessage', 'meter-events') },
      { caller, service: 'sqs', operation: 'SendMessage', resource: 'meter-events', priceClass: 'sqs-standard', requests: 2, units: 3, errors: 0 },
    );
    assert.equal(row(counts, caller, 'SendMessage', 'meter-jobs.fifo')?.priceClass, 'sqs-fifo');
    assert.equal(row(counts, caller, 'ReceiveMessage', 'meter-jobs.fifo')?.units, 1);
    assert.equal(row(counts, caller, 'CreateQueue')?.requests, 2);
  });
});
