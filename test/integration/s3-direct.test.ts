/**
 * S3Direct over real HTTP: against the embedded stack (what is written can be read back through the
 * SDK; 412 and a missing bucket), and against a scripted S3 stand-in that checks PUTs' SigV4
 * signatures as S3 would and answers failures (5xx, throttling, resets, stalls, access denied) and
 * odd answers, to pin down the retries, the errors ingest turns into 503, and that the SDK-backed
 * store answers the same.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, createSqsClient } from '../../lib/aws/clients.js';
import { AwsAccessError } from '../../lib/aws/errors.js';
import { strataResources } from '../../lib/aws/resources.js';
import { S3ObjectStore } from '../../lib/aws/s3.js';
import { S3Direct } from '../../lib/aws/s3-direct.js';
import { handleIngest } from '../../lib/ingest/handler.js';
import { bootstrapResources } from '../../lib/local/bootstrap.js';
import { startEmbeddedStack, type EmbeddedStack } from '../../lib/local/stack.js';
import { remoteWriteRequest, testDeps, writeRequestBytes, now } from '../helpers/ingest-fixtures.js';

const body = new Uint8Array(4096).map((_, i) => (i * 7) & 255);

describe('S3Direct against the embedded stack', () => {
  let stack: EmbeddedStack;
  let bucket: string;
  let reader: S3ObjectStore;
  let put: S3Direct;
  const env = () => ({ AWS_ENDPOINT_URL: stack.endpoint, AWS_REGION: stack.region });

  before(async () => {
    stack = await startEmbeddedStack({ port: 0 });
    const s3 = createS3Client(env());
    ({ bucket } = await bootstrapResources({ s3, sqs: createSqsClient(env()) }, strataResources('s3put')));
    reader = new S3ObjectStore(s3, bucket);
    put = new S3Direct(createS3Client(env()), bucket);
  });

  after(async () => {
    put.destroy();
    await stack.stop();
  });

  test('writes the bytes under the key, once: a second create-if-absent is a 412', async () => {
    const key = 'segments/team-a/0/01JD5Z3Q4R8X9V2W6T7Y0K1M3N.seg';
    const first = await put.putIfAbsent(key, body, { contentType: 'application/vnd.strata.segment' });
    assert.equal(first.outcome, 'written');
    const stored = await reader.get(key);
    assert.deepEqual(stored?.body, body);
    assert.equal(first.outcome === 'written' && first.etag, stored?.etag);
    assert.deepEqual(await put.putIfAbsent(key, new Uint8Array([1, 2, 3])), { outcome: 'precondition-failed' });
    assert.deepEqual((await reader.get(key))?.body, body, 'the first write is kept');
  });

  test('keys that need percent-encoding land under the same key', async () => {
    const key = 'odd/a b+c/(x)!ü$.bin';
    assert.equal((await put.putIfAbsent(key, body)).outcome, 'written');
    assert.deepEqual((await reader.get(key))?.body, body);
  });

  test('reads, ranges, heads and compare-and-swaps as the SDK-backed store does', async () => {
    const key = 'blocks/team-a/0/L1/L1-00000001.blk';
    const etag = await put.put(key, body, { contentType: 'application/vnd.strata.block', metadata: { Source: 'test' } });
    const [direct, sdk] = [await put.get(key), await reader.get(key)];
    assert.deepEqual(direct?.body, body);
    assert.equal(direct?.etag, etag);
    assert.equal(direct?.etag, sdk?.etag);
    assert.equal(direct?.lastModified?.getTime(), sdk?.lastModified?.getTime());
    assert.deepEqual(await put.head(key), await reader.head(key));
    assert.deepEqual(await put.getRange(key, 4000, 500), { body: body.subarray(4000), size: body.length });
    assert.deepEqual(await put.getRange(key, 0, 3), await reader.getRange(key, 0, 3));
    await put.put('blocks/team-a/0/L1/empty.blk', new Uint8Array(0));
    assert.deepEqual(await put.getRange('blocks/team-a/0/L1/empty.blk', 0, 10), { body: new Uint8Array(0), size: 0 });
    for (const read of [put.get('nothing'), put.head('nothing'), put.getRange('nothing', 0, 10)]) assert.equal(await read, undefined);

    assert.deepEqual(await put.putIfMatch(key, Uint8Array.of(1), '"stale"'), { outcome: 'precondition-failed' });
    assert.deepEqual(await put.putIfMatch('nothing', Uint8Array.of(1), etag), { outcome: 'missing' });
    const swapped = await put.putIfMatch(key, Uint8Array.of(1), etag);
    assert.equal(swapped.outcome, 'written');
    assert.deepEqual((await reader.get(key))?.body, Uint8Array.of(1));
  });

  test('a missing bucket is an AwsAccessError naming it, not an outcome', async () => {
    const missing = new S3Direct(createS3Client(env()), 'no-such-bucket');
    try {
      await assert.rejects(missing.putIfAbsent('k', body), (error: unknown) => {
        assert.ok(error instanceof AwsAccessError);
        assert.equal(error.code, 'NoSuchBucket');
        assert.equal(error.httpStatus, 404);
        assert.match(error.message, /PutObject s3:\/\/no-such-bucket\/k failed/);
        return true;
      });
      await assert.rejects(missing.get('k'), (error: unknown) => error instanceof AwsAccessError && error.code === 'NoSuchBucket' && /GetObject/.test(error.message));
    } finally {
      missing.destroy();
    }
  });
});

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Answer = (response: ServerResponse, request: Received) => void;

/** A stand-in for S3 that answers each request with the next scripted answer (the last one repeats). */
async function scriptedS3(answers: Answer[]) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      answers[Math.min(received.length, answers.length) - 1]!(res, request);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    received,
    endpoint,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const ok: Answer = (res) => res.writeHead(200, { etag: '"abc"' }).end();
const s3Error = (status: number, code: string): Answer => (res) =>
  res.writeHead(status, { 'content-type': 'application/xml' }).end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} said S3</Message></Error>`);
const reset: Answer = (res) => res.socket?.destroy();

const credentials = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', AWS_SESSION_TOKEN: 'session-token' };

/** Checks a request's SigV4 signature the way S3 does, from what arrived on the wire. */
function verifySignature(request: Received, secret: string): void {
  const authorization = String(request.headers['authorization']);
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  assert.ok(match, `authorization header ${authorization}`);
  const [, , date, region, signedHeaders, signature] = match as unknown as string[];
  const payloadHash = createHash('sha256').update(request.body).digest('hex');
  assert.equal(request.headers['x-amz-content-sha256'], payloadHash, 'the payload hash is the body\'s');
  const canonicalHeaders = signedHeaders!.split(';').map((name) => `${name}:${String(request.headers[name]).trim()}\n`).join('');
  const canonicalRequest = [request.method, request.path, '', canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const amzDate = String(request.headers['x-amz-date']);
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, `${date}/${region}/s3/aws4_request`, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), 's3'), 'aws4_request');
  assert.equal(createHmac('sha256', signingKey).update(stringToSign).digest('hex'), signature, 'the signature verifies');
  for (const name of ['host', 'if-none-match', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']) {
    assert.ok(signedHeaders!.split(';').includes(name), `${name} is signed`);
  }
}

describe('S3Direct against a scripted S3', () => {
  const delays: number[] = [];
  const writer = (endpoint: string, extraEnv: Record<string, string> = {}) =>
    new S3Direct(createS3Client({ AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'eu-west-1', AWS_SDK_UA_APP_ID: 'ingest', ...credentials, ...extraEnv }), 'data', {
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
    });

  test('a signed create-if-absent PUT: path style, session token, payload hash, content type and caller', async () => {
    const s3 = await scriptedS3([ok]);
    const put = writer(s3.endpoint);
    try {
      assert.deepEqual(await put.putIfAbsent('segments/t/1/x.seg', body, { contentType: 'application/vnd.strata.segment' }), { outcome: 'written', etag: '"abc"' });
      const [request] = s3.received;
      assert.equal(request!.method, 'PUT');
      assert.equal(request!.path, '/data/segments/t/1/x.seg');
      assert.deepEqual(request!.body, Buffer.from(body));
      assert.equal(request!.headers['if-none-match'], '*');
      assert.equal(request!.headers['content-type'], 'application/vnd.strata.segment');
      assert.equal(request!.headers['content-length'], String(body.length));
      assert.equal(request!.headers['x-amz-security-token'], 'session-token');
      assert.match(String(request!.headers['user-agent']), /(^|\s)app\/ingest(\s|$)/);
      assert.match(String(request!.headers['authorization']), /Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
      verifySignature(request!, credentials.AWS_SECRET_ACCESS_KEY);
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('5xx, throttling and connection resets are retried with growing backoff; each attempt is signed again', async () => {
    delays.length = 0;
    const s3 = await scriptedS3([s3Error(503, 'SlowDown'), reset, s3Error(500, 'InternalError'), ok]);
    const put = writer(s3.endpoint);
    try {
      assert.equal((await put.putIfAbsent('k', body)).outcome, 'written');
      assert.equal(s3.received.length, 4);
      assert.deepEqual(delays, [100, 200, 400]);
      for (const request of s3.received) verifySignature(request, credentials.AWS_SECRET_ACCESS_KEY);
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('502 and 504 are retried; 501 NotImplemented, which would be answered again, is not', async () => {
    const s3 = await scriptedS3([s3Error(502, 'BadGateway'), s3Error(504, 'GatewayTimeout'), ok, s3Error(501, 'NotImplemented')]);
    const put = writer(s3.endpoint);
    try {
      assert.equal((await put.putIfAbsent('k', body)).outcome, 'written');
      assert.equal(s3.received.length, 3);
      await assert.rejects(put.putIfAbsent('k', body), (error: unknown) => error instanceof AwsAccessError && error.code === 'NotImplemented' && error.httpStatus === 501);
      assert.equal(s3.received.length, 4, 'the 501 is not retried');
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('an attempt whose socket stays idle past the attempt timeout is abandoned and retried', async () => {
    const stalled: Answer = () => {}; // never answers
    const s3 = await scriptedS3([stalled, ok]);
    const put = new S3Direct(createS3Client({ AWS_ENDPOINT_URL: s3.endpoint, AWS_REGION: 'eu-west-1', ...credentials }), 'data', { attemptTimeoutMs: 50, sleep: async () => {} });
    try {
      assert.equal((await put.putIfAbsent('k', body)).outcome, 'written');
      assert.equal(s3.received.length, 2);
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('a server that ignores Range answers 200 with the whole object: both stores return the range asked for', async () => {
    const whole: Answer = (res) => res.writeHead(200, { etag: '"abc"', 'content-length': String(body.length) }).end(Buffer.from(body));
    const s3 = await scriptedS3([whole]);
    const direct = writer(s3.endpoint);
    const sdk = new S3ObjectStore(createS3Client({ AWS_ENDPOINT_URL: s3.endpoint, AWS_REGION: 'eu-west-1', ...credentials }), 'data');
    try {
      const expected = { body: body.subarray(100, 150), size: body.length };
      assert.deepEqual(await direct.getRange('k', 100, 50), expected);
      assert.deepEqual(await sdk.getRange('k', 100, 50), expected);
      assert.equal(s3.received[0]!.headers['range'], 'bytes=100-149');
    } finally {
      direct.destroy();
      await s3.stop();
    }
  });

  test('a credentials failure is not retried and sends nothing', async () => {
    const s3 = await scriptedS3([ok]);
    let lookups = 0;
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: () => {
        lookups++;
        return Promise.reject(new Error('no credentials in this container'));
      },
    });
    const put = new S3Direct(client, 'data', { sleep: async () => {} });
    try {
      await assert.rejects(put.putIfAbsent('k', body), (error: unknown) => error instanceof AwsAccessError && /no credentials in this container/.test(error.message));
      assert.equal(lookups, 1);
      assert.equal(s3.received.length, 0);
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('412, 409 and 404 are outcomes, as with S3ObjectStore', async () => {
    const s3 = await scriptedS3([s3Error(412, 'PreconditionFailed'), s3Error(409, 'ConditionalRequestConflict'), s3Error(404, 'NoSuchKey')]);
    const put = writer(s3.endpoint);
    try {
      assert.deepEqual(await put.putIfAbsent('k', body), { outcome: 'precondition-failed' });
      assert.deepEqual(await put.putIfAbsent('k', body), { outcome: 'conflict' });
      assert.deepEqual(await put.putIfAbsent('k', body), { outcome: 'missing' });
      assert.equal(s3.received.length, 3, 'none of them is retried');
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('access denied is not retried and keeps S3\'s code and status', async () => {
    const s3 = await scriptedS3([s3Error(403, 'AccessDenied')]);
    const put = writer(s3.endpoint);
    try {
      await assert.rejects(put.putIfAbsent('k', body), (error: unknown) => {
        assert.ok(error instanceof AwsAccessError);
        assert.equal(error.code, 'AccessDenied');
        assert.equal(error.httpStatus, 403);
        assert.equal(error.message, 'PutObject s3://data/k failed: AccessDenied (HTTP 403): AccessDenied said S3');
        return true;
      });
      assert.equal(s3.received.length, 1);
    } finally {
      put.destroy();
      await s3.stop();
    }
  });

  test('after AWS_MAX_ATTEMPTS failures the error says so, and ingest answers 503 asking for a retry', async () => {
    const s3 = await scriptedS3([s3Error(503, 'SlowDown')]);
    const put = writer(s3.endpoint, { AWS_MAX_ATTEMPTS: '3' });
    try {
      await assert.rejects(put.putIfAbsent('k', body), (error: unknown) => {
        assert.ok(error instanceof AwsAccessError);
        assert.equal(error.code, 'SlowDown');
        assert.equal(error.httpStatus, 503);
        assert.match(error.message, /failed after 3 attempts: SlowDown \(HTTP 503\)/);
        return true;
      });
      assert.equal(s3.received.length, 3);

      const request = remoteWriteRequest(writeRequestBytes([{ labels: { __name__: 'up', job: 'api' }, samples: [[now, 1]] }]));
      const response = await handleIngest(request, { ...testDeps(), store: put });
      assert.equal(response.status, 503);
      assert.equal(response.headers['retry-after'], '1');
      assert.match(response.body, /could not store the segments, retry the request: PutObject s3:\/\/data\/segments\/anonymous\/.*SlowDown/);
    } finally {
      put.destroy();
      await s3.stop();
    }
  });
});
