/**
 * The embedded stack through the real AWS SDK: conditional writes, bucket notifications and
 * the bootstrap, against a stack on a random port.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketNotificationConfigurationCommand,
  GetObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { minPartBytes } from '../../lib/aws/contract.js';
import { strataResources } from '../../lib/aws/resources.js';
import { type BootstrappedResources, bootstrapResources, segmentNotificationId } from '../../lib/local/bootstrap.js';
import { type EmbeddedStack, startEmbeddedStack } from '../../lib/local/stack.js';
import { type LocalClients, destroyClients, localClients, receiveAll, receiveExactlyOne } from '../helpers/local-clients.js';

interface S3EventRecord {
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  eventTime: string;
  eventName: string;
  s3: {
    s3SchemaVersion: string;
    configurationId: string;
    bucket: { name: string; arn: string };
    object: { key: string; size?: number; eTag?: string; sequencer: string };
  };
}

let stack: EmbeddedStack;
let clients: LocalClients;

before(async () => {
  stack = await startEmbeddedStack({ port: 0 });
  clients = localClients(stack.endpoint);
});

after(async () => {
  destroyClients(clients);
  await stack.stop();
});

async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const { name, $metadata } = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name, status: $metadata?.httpStatusCode };
  }
  return assert.fail('expected the request to fail');
}

function put(bucket: string, key: string, body: string, conditions: { IfMatch?: string; IfNoneMatch?: string } = {}) {
  return clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...conditions }));
}

async function read(bucket: string, key: string): Promise<string> {
  const { Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await Body?.transformToString()) ?? '';
}

function onlyRecord(message: unknown): S3EventRecord {
  const { Records } = message as { Records: S3EventRecord[] };
  assert.equal(Records.length, 1);
  return Records[0] as S3EventRecord;
}

describe('conditional writes', () => {
  const bucket = 'conditional-writes';

  before(async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  test('20 concurrent If-None-Match: * writers to one key: exactly one succeeds, the others get 412', async () => {
    const writers = Array.from({ length: 20 }, (_, i) => put(bucket, 'race/create', `writer ${i}`, { IfNoneMatch: '*' }));
    const results = await Promise.allSettled(writers);
    const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
    assert.equal(winners.length, 1);
    for (const result of results) {
      if (result.status === 'rejected') {
        assert.equal(result.reason.name, 'PreconditionFailed');
        assert.equal(result.reason.$metadata.httpStatusCode, 412);
      }
    }
    assert.equal(await read(bucket, 'race/create'), `writer ${winners[0]}`);
  });

  test('If-Match with the current ETag writes and returns the new ETag; a stale ETag gets 412', async () => {
    const first = await put(bucket, 'cas/object', 'v1');
    const second = await put(bucket, 'cas/object', 'v2', { IfMatch: first.ETag });
    assert.equal(second.$metadata.httpStatusCode, 200);
    assert.ok(second.ETag && second.ETag !== first.ETag);
    assert.deepEqual(await failure(put(bucket, 'cas/object', 'v3', { IfMatch: first.ETag })), {
      name: 'PreconditionFailed',
      status: 412,
    });
    assert.equal(await read(bucket, 'cas/object'), 'v2');
  });

  test('If-Match on a missing key gets 404 NoSuchKey', async () => {
    assert.deepEqual(await failure(put(bucket, 'cas/missing', 'v1', { IfMatch: '"0123456789abcdef0123456789abcdef"' })), {
      name: 'NoSuchKey',
      status: 404,
    });
  });

  test('concurrent If-Match writers holding the same ETag: exactly one wins', async () => {
    const { ETag } = await put(bucket, 'cas/race', 'base');
    const writers = Array.from({ length: 10 }, (_, i) => put(bucket, 'cas/race', `writer ${i}`, { IfMatch: ETag }));
    const results = await Promise.allSettled(writers);
    const winners = results.flatMap((result, i) => (result.status === 'fulfilled' ? [i] : []));
    assert.equal(winners.length, 1);
    assert.equal(results.filter((r) => r.status === 'rejected' && r.reason.$metadata.httpStatusCode === 412).length, 9);
    assert.equal(await read(bucket, 'cas/race'), `writer ${winners[0]}`);
  });

  test('If-None-Match: * on CompleteMultipartUpload', async () => {
    const complete = async (body: string) => {
      const { UploadId } = await clients.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'multipart/object' }));
      const part = await clients.s3.send(
        new UploadPartCommand({ Bucket: bucket, Key: 'multipart/object', UploadId, PartNumber: 1, Body: body }),
      );
      return clients.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'multipart/object',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
          IfNoneMatch: '*',
        }),
      );
    };
    await complete('first');
    assert.deepEqual(await failure(complete('second')), { name: 'PreconditionFailed', status: 412 });
    assert.equal(await read(bucket, 'multipart/object'), 'first');
  });
});

describe('bucket notifications', () => {
  const description = strataResources('notify');
  const bucket = description.bucket;
  let resources: BootstrappedResources;
  let eventsQueue: string;

  before(async () => {
    resources = await bootstrapResources(clients, description);
    eventsQueue = resources.eventsQueue.url;
  });

  const expectNoMessage = async () => assert.deepEqual(await receiveAll(clients.sqs, eventsQueue, 1), []);

  test('setting the configuration delivers exactly one s3:TestEvent', async () => {
    const message = (await receiveExactlyOne(clients.sqs, eventsQueue)) as Record<string, unknown>;
    assert.equal(message['Service'], 'Amazon S3');
    assert.equal(message['Event'], 's3:TestEvent');
    assert.equal(message['Bucket'], bucket);
    assert.match(String(message['Time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(message['RequestId'] && message['HostId']);
  });

  test('reading the configuration back', async () => {
    const configuration = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    assert.deepEqual(configuration.QueueConfigurations, [
      {
        Id: segmentNotificationId,
        QueueArn: resources.eventsQueue.arn,
        Events: ['s3:ObjectCreated:*'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'Prefix', Value: 'segments/' },
              { Name: 'Suffix', Value: '.seg' },
            ],
          },
        },
      },
    ]);
  });

  test('a PUT under segments/ gives exactly one event, with the key URL-encoded', async () => {
    const key = 'segments/a b/0/c+d.seg';
    const { ETag } = await put(bucket, key, 'segment bytes');
    const record = onlyRecord(await receiveExactlyOne(clients.sqs, eventsQueue));
    assert.equal(record.eventVersion, '2.1');
    assert.equal(record.eventSource, 'aws:s3');
    assert.equal(record.awsRegion, 'us-east-1');
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.ok(Math.abs(Date.parse(record.eventTime) - Date.now()) < 60_000);
    assert.equal(record.s3.s3SchemaVersion, '1.0');
    assert.equal(record.s3.configurationId, segmentNotificationId);
    assert.deepEqual(
      { name: record.s3.bucket.name, arn: record.s3.bucket.arn },
      { name: bucket, arn: `arn:aws:s3:::${bucket}` },
    );
    assert.equal(record.s3.object.key, 'segments/a+b/0/c%2Bd.seg');
    assert.equal(decodeURIComponent(record.s3.object.key.replaceAll('+', ' ')), key);
    assert.equal(record.s3.object.size, 'segment bytes'.length);
    assert.equal(record.s3.object.eTag, ETag?.replaceAll('"', ''));
    assert.match(record.s3.object.sequencer, /^[0-9A-F]+$/);
  });

  test('sequencers increase for successive writes to one key', async () => {
    await put(bucket, 'segments/seq/0.seg', 'one');
    const first = onlyRecord(await receiveExactlyOne(clients.sqs, eventsQueue));
    await put(bucket, 'segments/seq/0.seg', 'two');
    const second = onlyRecord(await receiveExactlyOne(clients.sqs, eventsQueue));
    assert.ok(second.s3.object.sequencer > first.s3.object.sequencer);
  });

  test('PUTs outside the prefix or without the suffix give no event', async () => {
    await put(bucket, 'state/x.json', '{}');
    await put(bucket, 'segments/a/0/x.json', '{}');
    await put(bucket, 'other/segments/x.seg', 'x');
    await expectNoMessage();
  });

  test('a conditional PUT that fails with 412 gives no event', async () => {
    await put(bucket, 'segments/cond/0.seg', 'first', { IfNoneMatch: '*' });
    onlyRecord(await receiveExactlyOne(clients.sqs, eventsQueue));
    assert.equal((await failure(put(bucket, 'segments/cond/0.seg', 'second', { IfNoneMatch: '*' }))).status, 412);
    await expectNoMessage();
  });

  test('CopyObject into the prefix gives ObjectCreated:Copy', async () => {
    await put(bucket, 'staging/x.seg', 'copied bytes');
    await clients.s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: 'segments/copy/x.seg', CopySource: `${bucket}/staging/x.seg` }),
    );
    const record = onlyRecord(await receiveExactlyOne(clients.sqs, eventsQueue));
    assert.equal(record.eventName, 'ObjectCreated:Copy');
    assert.equal(record.s3.object.key, 'segments/copy/x.seg');
    assert.equal(record.s3.object.size, 'copied bytes'.length);
  });

  test('CompleteMultipartUpload gives ObjectCreated:CompleteMultipartUpload', async () => {
    const key = 'segments/multipart/0.seg';
    const { UploadId } = await clients.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const part = await clients.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'abc' }));
    const { ETag } = await clients.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
    const record = onlyRecord(await receiveExactlyOne(clients.sqs, eventsQueue));
    assert.equal(record.eventName, 'ObjectCreated:CompleteMultipartUpload');
    assert.equal(record.s3.object.eTag, ETag?.replaceAll('"', ''));
    assert.equal(record.s3.object.size, 3);
  });

  test('deletions give no event when only ObjectCreated:* is configured', async () => {
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'segments/seq/0.seg' }));
    await expectNoMessage();
  });
});

describe('removal notifications and configuration errors', () => {
  const bucket = 'removals';
  let queueUrl: string;
  let queueArn: string;

  before(async () => {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    ({ QueueUrl: queueUrl = '' } = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'removals' })));
    const { Attributes } = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    queueArn = Attributes?.['QueueArn'] ?? '';
    await clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: { QueueConfigurations: [{ Id: 'removed', QueueArn: queueArn, Events: ['s3:ObjectRemoved:*'] }] },
      }),
    );
    await receiveExactlyOne(clients.sqs, queueUrl);
  });

  test('DeleteObject and DeleteObjects give ObjectRemoved:Delete, without size or eTag', async () => {
    await put(bucket, 'a.txt', 'a');
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a.txt' }));
    const record = onlyRecord(await receiveExactlyOne(clients.sqs, queueUrl));
    assert.equal(record.eventName, 'ObjectRemoved:Delete');
    assert.deepEqual(Object.keys(record.s3.object).sort(), ['key', 'sequencer']);

    await put(bucket, 'b (1).txt', 'b');
    await clients.s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: 'b (1).txt' }, { Key: 'c.txt' }] } }),
    );
    const messages = [...(await receiveAll(clients.sqs, queueUrl, 5)), ...(await receiveAll(clients.sqs, queueUrl, 1))];
    const keys = messages.map((message) => onlyRecord(JSON.parse(message.Body ?? '')).s3.object.key).sort();
    assert.deepEqual(keys, ['b+%281%29.txt', 'c.txt']);
  });

  test('a configuration naming a missing queue or an unknown event is rejected', async () => {
    const attempt = (QueueArn: string, Events: string[]) =>
      failure(
        clients.s3.send(
          new PutBucketNotificationConfigurationCommand({
            Bucket: bucket,
            NotificationConfiguration: { QueueConfigurations: [{ QueueArn, Events: Events as never }] },
          }),
        ),
      );
    assert.deepEqual(await attempt('arn:aws:sqs:us-east-1:000000000000:no-such-queue', ['s3:ObjectCreated:*']), {
      name: 'InvalidArgument',
      status: 400,
    });
    assert.deepEqual(await attempt(queueArn, ['s3:ObjectCreated:Nonsense']), { name: 'InvalidArgument', status: 400 });
    // The rejected attempts left the configuration, and the queue, as they were.
    const configuration = await clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    assert.equal(configuration.QueueConfigurations?.[0]?.Id, 'removed');
    assert.deepEqual(await receiveAll(clients.sqs, queueUrl, 1), []);
  });
});

describe('bootstrap', () => {
  test('is idempotent and sets the queue attributes, redrive policies and FIFO attribute', async () => {
    const description = strataResources('bootstrap');
    const first = await bootstrapResources(clients, description);
    const second = await bootstrapResources(clients, description);
    assert.deepEqual(second, first);

    const attributes = async (url: string) =>
      (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};

    const events = await attributes(first.eventsQueue.url);
    assert.equal(events['VisibilityTimeout'], String(description.eventsQueue.visibilityTimeoutSeconds));
    assert.equal(events['MessageRetentionPeriod'], String(description.eventsQueue.retentionSeconds));
    assert.deepEqual(JSON.parse(events['RedrivePolicy'] ?? '{}'), {
      deadLetterTargetArn: first.eventsDeadLetterQueue.arn,
      maxReceiveCount: 5,
    });
    assert.equal(events['FifoQueue'], undefined);

    const jobs = await attributes(first.jobsQueue.url);
    assert.equal(jobs['FifoQueue'], 'true');
    assert.equal(jobs['VisibilityTimeout'], String(description.jobsQueue.visibilityTimeoutSeconds));
    assert.deepEqual(JSON.parse(jobs['RedrivePolicy'] ?? '{}'), {
      deadLetterTargetArn: first.jobsDeadLetterQueue.arn,
      maxReceiveCount: 5,
    });
    assert.equal((await attributes(first.jobsDeadLetterQueue.url))['FifoQueue'], 'true');
    assert.equal((await attributes(first.eventsDeadLetterQueue.url))['RedrivePolicy'], undefined);

    // The unchanged configuration was not set again, so there is still only the first test event.
    const message = (await receiveExactlyOne(clients.sqs, first.eventsQueue.url)) as Record<string, unknown>;
    assert.equal(message['Event'], 's3:TestEvent');
  });
});

describe('the in-process store', () => {
  const description = strataResources('in-process');
  const bucket = description.bucket;
  let resources: BootstrappedResources;

  before(async () => {
    resources = await bootstrapResources(clients, description);
    await receiveAll(clients.sqs, resources.eventsQueue.url, 1); // the s3:TestEvent
  });

  test('has the endpoint’s conditional writes, and the endpoint serves what it wrote', async () => {
    const store = stack.inProcessStore(bucket);
    const key = 'state/t/0.json';
    const first = await store.putIfAbsent(key, new TextEncoder().encode('v1'));
    assert.equal(first.outcome, 'written');
    assert.deepEqual(await store.putIfAbsent(key, new TextEncoder().encode('v2')), { outcome: 'precondition-failed' });
    assert.deepEqual(await store.putIfMatch(key, new TextEncoder().encode('v2'), '"stale"'), { outcome: 'precondition-failed' });
    assert.deepEqual(await store.putIfMatch('state/t/1.json', new TextEncoder().encode('v2'), '"x"'), { outcome: 'missing' });
    const second = await store.putIfMatch(key, new TextEncoder().encode('v2'), first.outcome === 'written' ? first.etag : '');
    assert.equal(second.outcome, 'written');
    // Over HTTP: the same object, the same ETag, and the HTTP write's ETag accepted in process.
    const { ETag, Body } = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(await Body?.transformToString(), 'v2');
    assert.equal(ETag, second.outcome === 'written' ? second.etag : '');
    const overHttp = await put(bucket, key, 'v3', { IfMatch: ETag! });
    assert.equal((await store.putIfMatch(key, new TextEncoder().encode('v4'), overHttp.ETag!)).outcome, 'written');
    assert.equal(new TextDecoder().decode((await store.get(key))!.body), 'v4');
  });

  test('reads, lists, copies and deletes as the ObjectStore contract says', async () => {
    const store = stack.inProcessStore(bucket);
    await store.put('blocks/t/0/L1/a.blk', Uint8Array.of(1, 2, 3, 4));
    await store.put('blocks/t/0/L1/b.blk', new Uint8Array(0));
    assert.deepEqual(await store.getRange('blocks/t/0/L1/a.blk', 0, 2), { body: Uint8Array.of(1, 2), size: 4 });
    assert.deepEqual(await store.getRange('blocks/t/0/L1/a.blk', 3, 2), { body: Uint8Array.of(4), size: 4 });
    assert.deepEqual(await store.getRange('blocks/t/0/L1/b.blk', 0, 2), { body: new Uint8Array(0), size: 0 });
    assert.equal(await store.getRange('blocks/t/0/L1/none.blk', 0, 2), undefined);
    assert.equal(await store.get('blocks/t/0/L1/none.blk'), undefined);
    assert.equal((await store.head('blocks/t/0/L1/a.blk'))?.size, 4);
    await store.copy('blocks/t/0/L1/a.blk', 'quarantine/a.blk');
    const listed: string[] = [];
    for await (const object of store.list('blocks/t/')) listed.push(object.key);
    assert.deepEqual(listed, ['blocks/t/0/L1/a.blk', 'blocks/t/0/L1/b.blk']);
    await store.deleteMany(['blocks/t/0/L1/a.blk', 'blocks/t/0/L1/never.blk']);
    assert.equal(await store.head('blocks/t/0/L1/a.blk'), undefined);
    assert.deepEqual((await store.get('quarantine/a.blk'))?.body, Uint8Array.of(1, 2, 3, 4));
    await assert.rejects(store.copy('blocks/t/0/L1/a.blk', 'quarantine/b.blk'), /NoSuchKey/);
    const gone = stack.inProcessStore('deleted-later');
    await clients.s3.send(new DeleteBucketCommand({ Bucket: 'deleted-later' }));
    await assert.rejects(gone.get('x'), /NoSuchBucket/);
  });

  test('writes a multipart upload at completion, in part order, and nothing when aborted', async () => {
    const store = stack.inProcessStore(bucket);
    const first = new Uint8Array(minPartBytes).fill(1);
    const upload = await store.startMultipartUpload('blocks/t/0/L1/parts.blk');
    await upload.uploadPart(2, Uint8Array.of(2, 2));
    await upload.uploadPart(1, first);
    assert.equal(await store.head('blocks/t/0/L1/parts.blk'), undefined, 'nothing is visible before completion');
    await upload.complete();
    const written = (await store.get('blocks/t/0/L1/parts.blk'))?.body;
    assert.ok(written !== undefined && Buffer.concat([first, Uint8Array.of(2, 2)]).equals(written), 'the parts, in part-number order');
    await assert.rejects(upload.uploadPart(3, Uint8Array.of(3)), /NoSuchUpload/);

    const aborted = await store.startMultipartUpload('blocks/t/0/L1/aborted.blk');
    await aborted.uploadPart(1, Uint8Array.of(1));
    await aborted.abort();
    await assert.rejects(aborted.complete(), /NoSuchUpload/);
    assert.equal(await store.head('blocks/t/0/L1/aborted.blk'), undefined);

    const tooSmall = await store.startMultipartUpload('blocks/t/0/L1/small.blk');
    await tooSmall.uploadPart(1, Uint8Array.of(1));
    await tooSmall.uploadPart(2, Uint8Array.of(2));
    await assert.rejects(tooSmall.complete(), /EntityTooSmall/);
  });

  test('a write under segments/ is notified like one over HTTP', async () => {
    const key = 'segments/t/0/in-process.seg';
    await stack.inProcessStore(bucket).put(key, new TextEncoder().encode('segment bytes'));
    const record = onlyRecord(await receiveExactlyOne(clients.sqs, resources.eventsQueue.url));
    assert.equal(record.eventName, 'ObjectCreated:Put');
    assert.equal(record.s3.object.key, key);
    assert.equal(record.s3.object.size, 'segment bytes'.length);
  });
});
