/**
 * The S3/SQS wrappers' mapping of SDK calls and errors, pinned down with a fake client that records
 * each command's input and answers what the test says — no network.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { awsConfigFromEnv, createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import type { OutgoingMessage } from '../../lib/aws/contract.js';
import { AwsAccessError, AwsConfigError, BatchDeleteError, DeleteBatchError, SendBatchError } from '../../lib/aws/errors.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { SqsMessageQueue, queueUrlByName } from '../../lib/aws/sqs.js';

// Inputs are inspected loosely: the SDK's own types are checked where the wrappers build them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Input = Record<string, any>;

interface Call {
  command: string;
  input: Input;
}

/** A client whose `send` records the command and returns (or throws) what `respond` gives. */
function fakeClient(respond: (call: Call, index: number) => unknown = () => ({})) {
  const calls: Call[] = [];
  const client = {
    async send(command: { input: Input }) {
      const call = { command: command.constructor.name, input: command.input };
      calls.push(call);
      return respond(call, calls.length - 1);
    },
  };
  return { calls, s3: client as unknown as S3Client, sqs: client as unknown as SQSClient };
}

/** An error shaped like the SDK's service exceptions. */
function sdkError(name: string, httpStatusCode: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

function throwing(error: Error) {
  return () => {
    throw error;
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

// Array.fromAsync needs Node 22.
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}

describe('S3ObjectStore', () => {
  test('get reads the whole body and returns it with the ETag', async () => {
    const { s3, calls } = fakeClient(() => ({
      Body: { transformToByteArray: async () => bytes('hello') },
      ETag: '"abc"',
      LastModified: new Date(0),
    }));
    const store = new S3ObjectStore(s3, 'data');

    const object = await store.get('state/t/0.json');

    assert.deepEqual(object, { key: 'state/t/0.json', body: bytes('hello'), etag: '"abc"', lastModified: new Date(0) });
    assert.deepEqual(calls, [{ command: 'GetObjectCommand', input: { Bucket: 'data', Key: 'state/t/0.json' } }]);
  });

  test('get and head return undefined for a missing key', async () => {
    const store = new S3ObjectStore(fakeClient(throwing(sdkError('NoSuchKey', 404))).s3, 'data');
    const headStore = new S3ObjectStore(fakeClient(throwing(sdkError('NotFound', 404))).s3, 'data');

    assert.equal(await store.get('missing'), undefined);
    assert.equal(await headStore.head('missing'), undefined);
  });

  test('get of a missing bucket is an error, not a missing object', async () => {
    const store = new S3ObjectStore(fakeClient(throwing(sdkError('NoSuchBucket', 404))).s3, 'data');

    await assert.rejects(store.get('k'), AwsAccessError);
  });

  test('get wraps other errors with the bucket, key and SDK error as cause', async () => {
    const denied = sdkError('AccessDenied', 403);
    const store = new S3ObjectStore(fakeClient(throwing(denied)).s3, 'data');

    await assert.rejects(store.get('k'), (error: unknown) => {
      assert.ok(error instanceof AwsAccessError);
      assert.equal(error.name, 'AwsAccessError');
      assert.equal(error.cause, denied);
      assert.equal(error.bucket, 'data');
      assert.equal(error.key, 'k');
      assert.equal(error.code, 'AccessDenied');
      assert.equal(error.httpStatus, 403);
      assert.match(error.message, /s3:\/\/data\/k.*AccessDenied/);
      return true;
    });
  });

  test('putIfAbsent sends If-None-Match: * with content type and metadata, and returns the new ETag', async () => {
    const { s3, calls } = fakeClient(() => ({ ETag: '"new"' }));
    const store = new S3ObjectStore(s3, 'data');

    const result = await store.putIfAbsent('segments/a.seg', bytes('x'), {
      contentType: 'application/octet-stream',
      metadata: { tenant: 't' },
    });

    assert.deepEqual(result, { outcome: 'written', etag: '"new"' });
    assert.deepEqual(calls[0]?.input, {
      Bucket: 'data',
      Key: 'segments/a.seg',
      Body: bytes('x'),
      ContentType: 'application/octet-stream',
      Metadata: { tenant: 't' },
      IfNoneMatch: '*',
    });
  });

  test('putIfAbsent on an existing key is precondition-failed', async () => {
    const store = new S3ObjectStore(fakeClient(throwing(sdkError('PreconditionFailed', 412))).s3, 'data');

    assert.deepEqual(await store.putIfAbsent('k', bytes('x')), { outcome: 'precondition-failed' });
  });

  for (const [status, name, outcome] of [
    [412, 'PreconditionFailed', 'precondition-failed'],
    [409, 'ConditionalRequestConflict', 'conflict'],
    [404, 'NoSuchKey', 'missing'],
  ] as const) {
    test(`putIfMatch maps HTTP ${status} ${name} to ${outcome}`, async () => {
      const { s3, calls } = fakeClient(throwing(sdkError(name, status)));
      const store = new S3ObjectStore(s3, 'data');

      const result = await store.putIfMatch('state/t/0.json', bytes('{}'), '"old"');

      assert.deepEqual(result, { outcome });
      assert.equal(calls[0]?.input.IfMatch, '"old"');
      assert.equal(calls[0]?.input.IfNoneMatch, undefined);
    });
  }

  test('putIfMatch throws other errors, keeping the SDK error as cause', async () => {
    const slowDown = sdkError('SlowDown', 503);
    const store = new S3ObjectStore(fakeClient(throwing(slowDown)).s3, 'data');

    await assert.rejects(store.putIfMatch('k', bytes('x'), '"e"'), (error: unknown) => {
      assert.ok(error instanceof AwsAccessError);
      assert.equal(error.cause, slowDown);
      return true;
    });
  });

  test('a conditional put on a missing bucket throws instead of reporting missing', async () => {
    const store = new S3ObjectStore(fakeClient(throwing(sdkError('NoSuchBucket', 404))).s3, 'data');

    await assert.rejects(store.putIfMatch('k', bytes('x'), '"e"'), AwsAccessError);
  });

  test('list follows continuation tokens across pages', async () => {
    const pages = [
      { Contents: [{ Key: 'p/1', Size: 1, ETag: '"1"' }], IsTruncated: true, NextContinuationToken: 't1' },
      { Contents: [{ Key: 'p/2', Size: 2, ETag: '"2"' }], IsTruncated: true, NextContinuationToken: 't2' },
      { Contents: [{ Key: 'p/3', Size: 3, ETag: '"3"' }], IsTruncated: false },
    ];
    const { s3, calls } = fakeClient((_, index) => pages[index]);
    const store = new S3ObjectStore(s3, 'data');

    const listed = await collect(store.list('p/'));

    assert.deepEqual(listed.map((o) => [o.key, o.size, o.etag]), [
      ['p/1', 1, '"1"'],
      ['p/2', 2, '"2"'],
      ['p/3', 3, '"3"'],
    ]);
    assert.deepEqual(
      calls.map((c) => [c.command, c.input.Prefix, c.input.ContinuationToken]),
      [
        ['ListObjectsV2Command', 'p/', undefined],
        ['ListObjectsV2Command', 'p/', 't1'],
        ['ListObjectsV2Command', 'p/', 't2'],
      ],
    );
  });

  test('deleteMany splits 2500 keys into batches of 1000, 1000 and 500', async () => {
    const { s3, calls } = fakeClient();
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);

    await new S3ObjectStore(s3, 'data').deleteMany(keys);

    assert.deepEqual(calls.map((c) => c.input.Delete.Objects.length), [1000, 1000, 500]);
    assert.deepEqual(calls.flatMap((c) => c.input.Delete.Objects.map((o: Input) => o.Key)), keys);
    assert.ok(calls.every((c) => c.command === 'DeleteObjectsCommand' && c.input.Delete.Quiet === true));
  });

  test('deleteMany of no keys makes no call', async () => {
    const { s3, calls } = fakeClient();

    await new S3ObjectStore(s3, 'data').deleteMany([]);

    assert.equal(calls.length, 0);
  });

  test('deleteMany tries every batch, then throws BatchDeleteError naming the keys S3 did not delete', async () => {
    const { s3, calls } = fakeClient((call) => ({
      Errors: [{ Key: call.input.Delete.Objects[0].Key, Code: 'AccessDenied', Message: 'Access Denied' }],
    }));
    const keys = Array.from({ length: 1500 }, (_, i) => `k${i}`);

    await assert.rejects(new S3ObjectStore(s3, 'data').deleteMany(keys), (error: unknown) => {
      assert.ok(error instanceof BatchDeleteError);
      assert.deepEqual(error.failures.map((f) => f.key), ['k0', 'k1000']);
      assert.match(error.message, /k0 \(AccessDenied: Access Denied\)/);
      return true;
    });
    assert.equal(calls.length, 2);
  });

  test('copy URL-encodes the source key (spaces, +) but keeps its slashes', async () => {
    const { s3, calls } = fakeClient();

    await new S3ObjectStore(s3, 'data').copy('segments/a b+c/ü.seg', 'quarantine/x.seg');

    assert.deepEqual(calls[0]?.input, {
      Bucket: 'data',
      Key: 'quarantine/x.seg',
      CopySource: 'data/segments/a%20b%2Bc/%C3%BC.seg',
    });
  });
});

describe('SqsMessageQueue', () => {
  const url = 'http://localhost:4566/000000000000/jobs.fifo';
  const messages = (count: number): OutgoingMessage[] =>
    Array.from({ length: count }, (_, i) => ({
      id: `job/${i}`,
      body: `{"n":${i}}`,
      groupId: 't/0',
      deduplicationId: `job-${i}`,
    }));

  test('sendBatch splits 23 messages into 10, 10 and 3, with group and deduplication ids', async () => {
    const { sqs, calls } = fakeClient(() => ({ Successful: [], Failed: [] }));

    await new SqsMessageQueue(sqs, url).sendBatch(messages(23));

    assert.deepEqual(calls.map((c) => c.input.Entries.length), [10, 10, 3]);
    assert.deepEqual(calls[2]?.input, {
      QueueUrl: url,
      Entries: [20, 21, 22].map((n, i) => ({
        Id: String(i),
        MessageBody: `{"n":${n}}`,
        MessageGroupId: 't/0',
        MessageDeduplicationId: `job-${n}`,
      })),
    });
  });

  test('sendBatch resends only the entries SQS reported as failed', async () => {
    const { sqs, calls } = fakeClient((_, index) =>
      index === 0
        ? { Failed: [{ Id: '1', Code: 'InternalError', Message: 'try again', SenderFault: false }] }
        : { Failed: [] },
    );

    await new SqsMessageQueue(sqs, url, { baseDelayMs: 0 }).sendBatch(messages(3));

    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1]?.input.Entries.map((e: Input) => e.MessageDeduplicationId), ['job-1']);
  });

  test('sendBatch throws SendBatchError naming the entry and SQS code after persistent failures', async () => {
    const { sqs, calls } = fakeClient((call) => ({
      Failed: call.input.Entries.filter((e: Input) => e.MessageBody === '{"n":2}').map((e: Input) => ({
        Id: e.Id,
        Code: 'ServiceUnavailable',
        Message: 'busy',
        SenderFault: false,
      })),
    }));
    const queue = new SqsMessageQueue(sqs, url, { maxAttempts: 3, baseDelayMs: 0 });

    await assert.rejects(queue.sendBatch(messages(12)), (error: unknown) => {
      assert.ok(error instanceof SendBatchError);
      assert.equal(error.queueUrl, url);
      assert.deepEqual(error.failures, [{ id: 'job/2', code: 'ServiceUnavailable', message: 'busy', senderFault: false }]);
      assert.deepEqual(error.unsentIds, ['job/10', 'job/11']);
      assert.match(error.message, /job\/2 \(ServiceUnavailable: busy\)/);
      return true;
    });
    assert.equal(calls.length, 3, 'first batch tried 3 times, the second never');
  });

  test('sendBatch does not retry sender faults', async () => {
    const { sqs, calls } = fakeClient(() => ({
      Failed: [{ Id: '0', Code: 'InvalidParameterValue', Message: 'bad group', SenderFault: true }],
    }));

    await assert.rejects(new SqsMessageQueue(sqs, url, { baseDelayMs: 0 }).sendBatch(messages(1)), SendBatchError);
    assert.equal(calls.length, 1);
  });

  test('sendBatch wraps a failed call with the queue URL', async () => {
    const { sqs } = fakeClient(throwing(sdkError('AccessDenied', 403)));

    await assert.rejects(new SqsMessageQueue(sqs, url).sendBatch(messages(1)), (error: unknown) => {
      assert.ok(error instanceof AwsAccessError);
      assert.equal(error.queueUrl, url);
      assert.equal(error.code, 'AccessDenied');
      return true;
    });
  });

  test('receive long-polls for all system attributes and maps the messages', async () => {
    const { sqs, calls } = fakeClient(() => ({
      Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: 'b', Attributes: { ApproximateReceiveCount: '2' } }],
    }));

    const received = await new SqsMessageQueue(sqs, url).receive({ visibilityTimeoutSeconds: 30 });

    assert.deepEqual(received, [
      { messageId: 'm1', receiptHandle: 'r1', body: 'b', attributes: { ApproximateReceiveCount: '2' } },
    ]);
    assert.deepEqual(calls[0]?.input, {
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      VisibilityTimeout: 30,
      MessageSystemAttributeNames: ['All'],
    });
  });

  test('deleteBatch deletes in batches of 10 and reports failed receipt handles', async () => {
    const { sqs, calls } = fakeClient((_, index) =>
      index === 1 ? { Failed: [{ Id: '3', Code: 'ReceiptHandleIsInvalid', Message: 'expired', SenderFault: true }] } : {},
    );
    const handles = Array.from({ length: 23 }, (_, i) => `r${i}`);

    await assert.rejects(new SqsMessageQueue(sqs, url).deleteBatch(handles), (error: unknown) => {
      assert.ok(error instanceof DeleteBatchError);
      assert.deepEqual(error.failures.map((f) => [f.id, f.code]), [['r13', 'ReceiptHandleIsInvalid']]);
      return true;
    });
    assert.deepEqual(calls.map((c) => c.input.Entries.length), [10, 10, 3]);
  });

  test('changeVisibility sends the receipt handle and timeout', async () => {
    const { sqs, calls } = fakeClient();

    await new SqsMessageQueue(sqs, url).changeVisibility('r1', 0);

    assert.deepEqual(calls, [
      { command: 'ChangeMessageVisibilityCommand', input: { QueueUrl: url, ReceiptHandle: 'r1', VisibilityTimeout: 0 } },
    ]);
  });

  test('queueUrlByName returns the URL, or says the queue does not exist', async () => {
    const found = fakeClient(() => ({ QueueUrl: url }));
    const missing = fakeClient(throwing(sdkError('QueueDoesNotExist', 400)));

    assert.equal(await queueUrlByName(found.sqs, 'jobs.fifo'), url);
    await assert.rejects(queueUrlByName(missing.sqs, 'jobs.fifo'), /"jobs.fifo" does not exist/);
  });
});

describe('client factories', () => {
  test('a custom endpoint turns on path-style addressing and local credentials', async () => {
    const env = { AWS_ENDPOINT_URL: 'http://localhost:4566' };

    const client = createS3Client(env);

    assert.equal(client.config.forcePathStyle, true);
    assert.deepEqual(awsConfigFromEnv('s3', env), {
      region: 'us-east-1',
      endpoint: 'http://localhost:4566',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 5,
    });
    assert.equal((await client.config.credentials()).accessKeyId, 'test');
    client.destroy();
  });

  test('without an endpoint: virtual-host style, default region, SDK credential chain', async () => {
    const client = createS3Client({});

    assert.equal(client.config.forcePathStyle, false);
    assert.equal(await client.config.region(), 'us-east-1');
    assert.deepEqual(awsConfigFromEnv('s3', {}), { region: 'us-east-1', maxAttempts: 5 });
    client.destroy();
  });

  test('S3 checksums only where an operation requires one: no JavaScript CRC32 over every body', async () => {
    const client = createS3Client({});

    assert.equal(await client.config.requestChecksumCalculation(), 'WHEN_REQUIRED');
    assert.equal(await client.config.responseChecksumValidation(), 'WHEN_REQUIRED');
    client.destroy();
  });

  test('the service-specific endpoint wins over AWS_ENDPOINT_URL', () => {
    const env = { AWS_ENDPOINT_URL: 'http://general:4566', AWS_ENDPOINT_URL_SQS: 'http://sqs:9324' };

    assert.equal(awsConfigFromEnv('sqs', env).endpoint, 'http://sqs:9324');
    assert.equal(awsConfigFromEnv('s3', env).endpoint, 'http://general:4566');
  });

  test('AWS_REGION wins over AWS_DEFAULT_REGION', async () => {
    const client = createSqsClient({ AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' });

    assert.equal(await client.config.region(), 'eu-west-1');
    assert.equal(awsConfigFromEnv('sqs', { AWS_DEFAULT_REGION: 'us-west-2' }).region, 'us-west-2');
    client.destroy();
  });

  test('credentials in the env are used as they are, even with a custom endpoint', () => {
    const env = {
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    };

    assert.deepEqual(awsConfigFromEnv('s3', env).credentials, {
      accessKeyId: 'AKID',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
    assert.equal(awsConfigFromEnv('s3', { AWS_ENDPOINT_URL: 'http://x', AWS_PROFILE: 'dev' }).credentials, undefined);
  });

  test('AWS_SDK_UA_APP_ID from the given env names the caller in the User-Agent', async () => {
    const client = createS3Client({ AWS_SDK_UA_APP_ID: 'strata-planner' });

    assert.equal(awsConfigFromEnv('sqs', { AWS_SDK_UA_APP_ID: 'strata-planner' }).userAgentAppId, 'strata-planner');
    assert.equal(await client.config.userAgentAppId(), 'strata-planner');
    client.destroy();
  });

  test('AWS_MAX_ATTEMPTS overrides the default number of attempts; a value that is not a positive integer is an error naming it', () => {
    assert.equal(awsConfigFromEnv('s3', { AWS_MAX_ATTEMPTS: '2' }).maxAttempts, 2);
    assert.equal(awsConfigFromEnv('s3', { AWS_MAX_ATTEMPTS: ' ' }).maxAttempts, 5);
    for (const value of ['lots', '0', '2.5']) {
      assert.throws(
        () => createS3Client({ AWS_MAX_ATTEMPTS: value }),
        (error: unknown) => error instanceof AwsConfigError && error.message === `AWS_MAX_ATTEMPTS must be a positive integer, got ${JSON.stringify(value)}`,
        value,
      );
    }
  });
});
