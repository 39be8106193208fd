/**
 * S3Direct's signing set-up and key encoding, without the network: the signer checked against the
 * worked example in AWS's SigV4 documentation for S3 and against the SDK's own signer on random
 * requests, keys encoded as S3 signs them, and which buckets DirectS3ObjectStore leaves to the SDK.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { createS3Client } from '../../lib/aws/clients.js';
import { AwsAccessError } from '../../lib/aws/errors.js';
import { directTarget, DirectS3ObjectStore, s3Signer, S3Direct, UnsupportedBucketError } from '../../lib/aws/s3-direct.js';
import { encodeKey } from '../../lib/aws/s3.js';

describe('S3Direct signing', () => {
  test('the signer reproduces the GET Object example of the S3 SigV4 documentation', async () => {
    // "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk",
    // example GET Object (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
    const signer = s3Signer({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }, 'us-east-1');
    const signed = await signer.sign(
      {
        method: 'GET',
        path: `/${encodeKey('test.txt')}`,
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          range: 'bytes=0-9',
          'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        },
      },
      new Date('2013-05-24T00:00:00Z'),
    );
    assert.equal(signed['x-amz-date'], '20130524T000000Z');
    assert.equal(
      signed['authorization'],
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  test('a session token is sent and signed', async () => {
    const signer = s3Signer({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token/with+chars' }, 'eu-west-1');
    const signed = await signer.sign(
      { method: 'PUT', path: '/k', headers: { host: 'b.s3.eu-west-1.amazonaws.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
      new Date('2026-01-01T00:00:00Z'),
    );
    assert.equal(signed['x-amz-security-token'], 'token/with+chars');
    assert.match(signed['authorization'] ?? '', /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
  });

  test('signs as the SDK\'s signer does: random keys, headers, dates, credentials and regions (property)', async () => {
    // The SDK signer set up as the S3 client sets it up: its own SHA-256, path signed as sent, signed payload.
    const sdkSha256 = createS3Client({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' }).config.sha256;
    const header = fc.stringMatching(/^[ -~]{0,40}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          method: fc.constantFrom('GET', 'HEAD', 'PUT'),
          key: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }),
          region: fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
          secret: fc.stringMatching(/^[A-Za-z0-9/+]{40}$/),
          sessionToken: fc.option(fc.stringMatching(/^[A-Za-z0-9/+=]{1,80}$/), { nil: undefined }),
          date: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
          contentType: fc.option(header, { nil: undefined }),
          condition: fc.option(fc.oneof(fc.constant({ 'if-none-match': '*' }), header.map((etag) => ({ 'if-match': `"${etag}"` }))), { nil: undefined }),
          range: fc.option(fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `bytes=${a}-${a + b}`), { nil: undefined }),
          metadata: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/), header, { maxKeys: 3 }),
          payloadHash: fc.stringMatching(/^[0-9a-f]{64}$/),
        }),
        async (c) => {
          const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: c.secret, ...(c.sessionToken === undefined ? {} : { sessionToken: c.sessionToken }) };
          const hostname = `bucket.s3.${c.region}.amazonaws.com`;
          const headers: Record<string, string> = {
            host: hostname,
            'x-amz-content-sha256': c.payloadHash,
            'user-agent': 'strata-s3-direct app/test',
            ...(c.contentType === undefined ? {} : { 'content-type': c.contentType }),
            ...c.condition,
            ...(c.range === undefined ? {} : { range: c.range }),
            ...Object.fromEntries(Object.entries(c.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value])),
          };
          const path = `/${encodeKey(c.key)}`;
          const ours = await s3Signer(credentials, c.region).sign({ method: c.method, path, headers }, c.date);
          const sdk = await new SignatureV4({ credentials, region: c.region, service: 's3', sha256: sdkSha256, uriEscapePath: false, applyChecksum: true }).sign(
            { method: c.method, protocol: 'https:', hostname, path, query: {}, headers },
            { signingDate: c.date },
          );
          assert.equal(ours['authorization'], sdk.headers['authorization']);
          assert.equal(ours['x-amz-date'], sdk.headers['x-amz-date']);
          assert.equal(ours['x-amz-security-token'], sdk.headers['x-amz-security-token']);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('S3Direct endpoints', () => {
  const credentials = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };

  test('on AWS: virtual-hosted style on the regional endpoint, over HTTPS', async () => {
    const target = await directTarget(createS3Client({ AWS_REGION: 'eu-west-1', ...credentials }), 'strata-prod-data');
    assert.deepEqual([target.protocol, target.hostname, target.port, target.basePath], ['https:', 'strata-prod-data.s3.eu-west-1.amazonaws.com', undefined, '']);
  });

  test('on AWS: a bucket name that cannot be a host name goes in the path', async () => {
    const target = await directTarget(createS3Client({ AWS_REGION: 'eu-west-1', ...credentials }), 'strata.prod.data');
    assert.deepEqual([target.hostname, target.basePath], ['s3.eu-west-1.amazonaws.com', '/strata.prod.data']);
  });

  test('with AWS_ENDPOINT_URL (LocalStack, the embedded stack): path style on that endpoint', async () => {
    const target = await directTarget(createS3Client({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'us-east-1' }), 'strata-dev-data');
    assert.deepEqual([target.protocol, target.hostname, target.port, target.basePath], ['http:', '127.0.0.1', 4566, '/strata-dev-data']);
  });

  test('the retry budget is the client\'s: AWS_MAX_ATTEMPTS, or Strata\'s default of 5', async () => {
    assert.equal((await directTarget(createS3Client({ AWS_REGION: 'eu-west-1', AWS_MAX_ATTEMPTS: '2', ...credentials }), 'b')).maxAttempts, 2);
    assert.equal((await directTarget(createS3Client({ AWS_REGION: 'eu-west-1', ...credentials }), 'b')).maxAttempts, 5);
  });
});

describe('S3Direct key encoding', () => {
  test('keys are percent-encoded per segment as S3 signs them, slashes kept', () => {
    assert.equal(encodeKey('segments/team-a/3/01JD5Z3Q4R8X9V2W6T7Y0K1M3N.seg'), 'segments/team-a/3/01JD5Z3Q4R8X9V2W6T7Y0K1M3N.seg');
    assert.equal(encodeKey('test$file.text'), 'test%24file.text');
    assert.equal(encodeKey("a b+c/(x)!*'~_.-/ü"), 'a%20b%2Bc/%28x%29%21%2A%27~_.-/%C3%BC');
  });
});

describe('DirectS3ObjectStore: buckets S3Direct cannot address', () => {
  const credentials = { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };
  const expressBucket = 'strata--use1-az4--x-s3';

  test('S3 Express buckets and multi-region access points are not S3Direct\'s: they need other signing schemes', async () => {
    const client = createS3Client({ AWS_REGION: 'us-east-1', ...credentials });
    for (const bucket of [expressBucket, 'arn:aws:s3::123456789012:accesspoint/mfzwi23gnjvgw.mrap']) {
      assert.equal(await new S3Direct(client, bucket).addressesBucket(), false, bucket);
      await assert.rejects(directTarget(client, bucket), UnsupportedBucketError);
    }
    assert.equal(await new S3Direct(client, 'strata-prod-data').addressesBucket(), true);
  });

  test('such a bucket\'s object requests go through the SDK client, and S3Direct alone refuses them', async () => {
    const client = createS3Client({ AWS_REGION: 'us-east-1', ...credentials });
    const sent: string[] = [];
    // Stands in for the SDK's whole stack: what reaches it was not sent by S3Direct.
    client.send = (async (command: object) => {
      sent.push(command.constructor.name);
      return { ETag: '"from-sdk"', ContentLength: 3 };
    }) as unknown as S3Client['send'];
    const store = new DirectS3ObjectStore(client, expressBucket);
    assert.deepEqual(await store.putIfAbsent('k', Uint8Array.of(1, 2, 3)), { outcome: 'written', etag: '"from-sdk"' });
    assert.deepEqual(await store.head('k'), { key: 'k', size: 3, etag: '"from-sdk"' });
    assert.deepEqual(sent, ['PutObjectCommand', 'HeadObjectCommand']);

    await assert.rejects(new S3Direct(client, expressBucket).putIfAbsent('k', Uint8Array.of(1)), (error: unknown) => error instanceof AwsAccessError && /sigv4-s3express signing scheme/.test(error.message));
  });
});
