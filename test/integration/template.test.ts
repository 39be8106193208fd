/**
 * The CI check of serverless.yml: package it offline (`bash infra/package.sh`, osls from
 * devDependencies, no AWS account, no network), then check the CloudFormation template against
 * lib/aws/resources.ts and the deployment's safety properties (test/helpers/template-checks.ts).
 *
 * The checker itself is tested too: each breakage that must never ship (a dropped DLQ, the queue
 * policy, ReportBatchItemFailures, a wildcard in IAM, …) is made on a copy of the real template,
 * and the checker must name it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { eventSources, functionMemoryMb, functionTimeoutSeconds, strataResources, tickSchedule } from '../../lib/aws/resources.js';
import {
  checkTemplate,
  functionNames,
  type CfnResource,
  type CfnTemplate,
  type FunctionAccess,
  type FunctionName,
  type TemplateExpectations,
} from '../helpers/template-checks.js';
import { zipEntries, zipEntryBytes } from '../helpers/template-zip.js';

const run = promisify(execFile);

const stage = 'ci';
const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:strata-remote-write-AbCdEf';
const rulesKey = 'config/rules.yaml';

/**
 * Least privilege, function by function: what each one's code reads, writes, deletes and sends to.
 * serverless.yml must grant exactly this. Change both together, and say why in serverless.yml.
 */
const access: Record<FunctionName, FunctionAccess> = {
  ingest: { objects: { 's3:PutObject': ['segments'] }, listBucket: false, sendsTo: [], readsSecret: false },
  planner: {
    objects: {
      's3:GetObject': ['segments', 'state', 'quarantine', 'rules', 'config'],
      's3:PutObject': ['state', 'quarantine', 'rules'],
      's3:DeleteObject': ['segments', 'blocks'],
    },
    listBucket: true,
    consumes: 'eventsQueue',
    sendsTo: ['jobsQueue'],
    readsSecret: false,
  },
  compactor: {
    objects: {
      's3:GetObject': ['segments', 'blocks', 'state', 'exports', 'quarantine', 'rules', 'config'],
      's3:PutObject': ['blocks', 'state', 'exports', 'quarantine', 'rules'],
      's3:DeleteObject': ['segments', 'blocks'],
      's3:AbortMultipartUpload': ['blocks'],
    },
    listBucket: true,
    consumes: 'jobsQueue',
    sendsTo: ['jobsQueue'],
    readsSecret: true,
  },
  tick: {
    objects: {
      's3:GetObject': ['segments', 'blocks', 'state', 'exports', 'quarantine', 'rules', 'config'],
      's3:PutObject': ['state', 'quarantine', 'rules', 'exports'],
      's3:DeleteObject': ['segments', 'blocks', 'exports'],
    },
    listBucket: true,
    sendsTo: ['jobsQueue'],
    readsSecret: true,
  },
};

const expected: TemplateExpectations = {
  stage,
  resources: strataResources(stage, { accountId: '${AWS::AccountId}', region: '${AWS::Region}' }),
  timeouts: functionTimeoutSeconds,
  memory: functionMemoryMb,
  eventSources,
  tickSchedule,
  access,
  remoteWriteSecretArn: secretArn,
};

let outDir: string;
let template: CfnTemplate;
let packagingMs: number;

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'strata-package-'));
  const started = performance.now();
  try {
    await run('bash', ['infra/package.sh', outDir, '--param', `remoteWriteSecretArn=${secretArn}`, '--param', `rulesKey=${rulesKey}`], {
      maxBuffer: 16 << 20,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run package failed:\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
  packagingMs = performance.now() - started;
  template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
});

after(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** A deep copy of the packaged template, for a mutation. */
const copy = (): CfnTemplate => structuredClone(template);

function resourceWhere(t: CfnTemplate, type: string, predicate: (resource: CfnResource) => boolean): [string, CfnResource] {
  const found = Object.entries(t.Resources).find(([, resource]) => resource.Type === type && predicate(resource));
  assert.ok(found, `no ${type} matching in the template`);
  return found;
}
const queueNamed = (t: CfnTemplate, name: string) => resourceWhere(t, 'AWS::SQS::Queue', (r) => r.Properties?.['QueueName'] === name);
const functionNamed = (t: CfnTemplate, name: FunctionName) =>
  resourceWhere(t, 'AWS::Lambda::Function', (r) => r.Properties?.['FunctionName'] === `strata-${stage}-${name}`);
const mappingOf = (t: CfnTemplate, name: FunctionName) => {
  const [functionId] = functionNamed(t, name);
  return resourceWhere(t, 'AWS::Lambda::EventSourceMapping', (r) => JSON.stringify(r.Properties?.['FunctionName']).includes(`"${functionId}"`));
};
const roleOf = (t: CfnTemplate, name: FunctionName) => {
  const [, fn] = functionNamed(t, name);
  const roleId = (fn.Properties?.['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const role = t.Resources[roleId]!;
  return (role.Properties!['Policies'] as Array<{ PolicyDocument: { Statement: unknown[] } }>)[0]!.PolicyDocument.Statement;
};
const bucketOf = (t: CfnTemplate) => resourceWhere(t, 'AWS::S3::Bucket', (r) => String(JSON.stringify(r.Properties?.['BucketName'])).includes(`strata-${stage}-data`));

function assertReports(t: CfnTemplate, fragment: string | RegExp): void {
  const problems = checkTemplate(t, expected);
  const found = problems.some((problem) => (typeof fragment === 'string' ? problem.includes(fragment) : fragment.test(problem)));
  assert.ok(found, `expected a problem matching ${String(fragment)}, got:\n${problems.join('\n') || '(none)'}`);
}

describe('serverless.yml, packaged offline', () => {
  test('the template matches lib/aws/resources.ts and keeps every safety property', () => {
    assert.deepEqual(checkTemplate(template, expected), []);
  });

  test('packaging takes seconds, not minutes', (t) => {
    t.diagnostic(`npm run package took ${Math.round(packagingMs)} ms`);
    assert.ok(packagingMs < 120_000, `packaging took ${Math.round(packagingMs)} ms`);
  });

  test('the remote-write secret is referenced by ARN only, and only when configured', () => {
    const text = JSON.stringify(template);
    const secretStatements = [...text.matchAll(/secretsmanager:GetSecretValue/g)].length;
    assert.equal(secretStatements, 2, 'the compactor and the tick read the secret');
    const [, compactor] = functionNamed(template, 'compactor');
    const variables = (compactor.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
    assert.equal(variables['STRATA_REMOTE_WRITE_SECRET_ARN'], secretArn);
    const statement = roleOf(template, 'compactor').find((s) => JSON.stringify(s).includes('GetSecretValue'));
    assert.deepEqual((statement as { 'Fn::If': unknown[] })['Fn::If'][0], 'HasRemoteWriteSecret');
  });

  test('STRATA_RULES points into the bucket when rulesKey is set', () => {
    const [bucketId] = bucketOf(template);
    const [, planner] = functionNamed(template, 'planner');
    const variables = (planner.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables;
    assert.deepEqual(variables['STRATA_RULES'], { 'Fn::If': ['HasRules', { 'Fn::Sub': `s3://\${${bucketId}}/${rulesKey}` }, ''] });
  });

  test('each function ships its bundle alone: one ES module with the AWS SDK inside, that loads', async () => {
    const extracted = mkdtempSync(join(tmpdir(), 'strata-bundles-'));
    try {
      for (const name of functionNames) {
        const zip = readFileSync(join(outDir, `${name}.zip`));
        const entries = zipEntries(zip);
        assert.deepEqual(entries.map((entry) => entry.name), [`functions/${name}.mjs`], `${name}.zip`);
        const bundle = zipEntryBytes(zip, entries[0]!);
        assert.ok(bundle.length < 8 << 20, `${name}: bundle of ${bundle.length} bytes`);
        const source = bundle.toString('utf8');
        // Static imports may name Node's built-ins only: everything else, the SDK included, is bundled.
        const imported = [...source.matchAll(/^import\s[^;]*?from\s*["']([^"']+)["']/gm)].map((match) => match[1]!);
        assert.deepEqual(imported.filter((specifier) => !specifier.startsWith('node:')), [], `${name}: external imports`);
        assert.match(source, /S3Client/, `${name}: the S3 client is bundled`);
        mkdirSync(join(extracted, 'functions'), { recursive: true });
        writeFileSync(join(extracted, 'functions', `${name}.mjs`), bundle);
        const module = (await import(pathToFileURL(join(extracted, 'functions', `${name}.mjs`)).href)) as { handler?: unknown };
        assert.equal(typeof module.handler, 'function', `${name}: exports handler`);
      }
      // The ingest bundle answers a Function URL event end to end (no AWS call on /ready).
      const previous = process.env['STRATA_BUCKET'];
      process.env['STRATA_BUCKET'] = 'strata-ci-data';
      try {
        const { handler } = (await import(pathToFileURL(join(extracted, 'functions', 'ingest.mjs')).href)) as {
          handler: (event: unknown) => Promise<{ statusCode: number }>;
        };
        const response = await handler({
          version: '2.0',
          rawPath: '/ready',
          rawQueryString: '',
          headers: {},
          requestContext: { http: { method: 'GET' } },
          isBase64Encoded: false,
        });
        assert.equal(response.statusCode, 200);
      } finally {
        if (previous === undefined) delete process.env['STRATA_BUCKET'];
        else process.env['STRATA_BUCKET'] = previous;
      }
    } finally {
      rmSync(extracted, { recursive: true, force: true });
    }
  });
});

describe('the template checker reports', () => {
  const resources = expected.resources;

  test('a queue without its dead-letter queue', () => {
    const t = copy();
    delete queueNamed(t, resources.eventsQueue.name)[1].Properties!['RedrivePolicy'];
    assertReports(t, `queue ${resources.eventsQueue.name} has no dead-letter queue`);
    const u = copy();
    delete queueNamed(u, resources.jobsQueue.name)[1].Properties!['RedrivePolicy'];
    assertReports(u, `queue ${resources.jobsQueue.name} has no dead-letter queue`);
  });

  test('a dead-letter queue removed from the stack', () => {
    const t = copy();
    delete t.Resources[queueNamed(t, resources.jobsDeadLetterQueue.name)[0]];
    assertReports(t, `queue ${resources.jobsDeadLetterQueue.name} (jobsDeadLetterQueue) is missing`);
    assertReports(t, `its dead-letter queue must be ${resources.jobsDeadLetterQueue.name}`);
  });

  test('a redrive count that differs from resources.ts', () => {
    const t = copy();
    (queueNamed(t, resources.eventsQueue.name)[1].Properties!['RedrivePolicy'] as Record<string, unknown>)['maxReceiveCount'] = 50;
    assertReports(t, 'maxReceiveCount 50, resources.ts says 5');
  });

  test('the queue policy dropped', () => {
    const t = copy();
    const [policyId] = resourceWhere(t, 'AWS::SQS::QueuePolicy', () => true);
    delete t.Resources[policyId];
    assertReports(t, 'no queue policy letting s3.amazonaws.com send to it');
  });

  test('the queue policy naming the bucket by reference (a circular dependency)', () => {
    const t = copy();
    const [bucketId] = bucketOf(t);
    const [, policy] = resourceWhere(t, 'AWS::SQS::QueuePolicy', () => true);
    const text = JSON.stringify(policy).replace(/\{"Fn::Sub":"arn:\$\{AWS::Partition\}:s3:::[^"]*"\}/, JSON.stringify({ 'Fn::GetAtt': [bucketId, 'Arn'] }));
    Object.assign(policy, JSON.parse(text));
    assertReports(t, `refers to the bucket resource ${bucketId}: that is a circular dependency`);
  });

  test('the bucket created without waiting for the queue policy', () => {
    const t = copy();
    delete bucketOf(t)[1].DependsOn;
    assertReports(t, 'does not DependsOn the queue policy');
  });

  test('ReportBatchItemFailures dropped from either event source', () => {
    for (const name of ['planner', 'compactor'] as const) {
      const t = copy();
      delete mappingOf(t, name)[1].Properties!['FunctionResponseTypes'];
      assertReports(t, `${name}: the event source mapping lacks FunctionResponseTypes ReportBatchItemFailures`);
    }
  });

  test('batch settings and maximum concurrency that differ from resources.ts', () => {
    const t = copy();
    const planner = mappingOf(t, 'planner')[1].Properties!;
    planner['BatchSize'] = 10;
    delete planner['MaximumBatchingWindowInSeconds'];
    delete planner['ScalingConfig'];
    assertReports(t, 'planner: BatchSize 10, resources.ts says 100');
    assertReports(t, 'planner: MaximumBatchingWindowInSeconds 0, resources.ts says 5');
    assertReports(t, 'planner: ScalingConfig.MaximumConcurrency undefined, resources.ts says 5');
  });

  test('a batching window on the FIFO jobs queue', () => {
    const t = copy();
    mappingOf(t, 'compactor')[1].Properties!['MaximumBatchingWindowInSeconds'] = 0;
    assertReports(t, 'Lambda does not support a batching window on a FIFO queue');
  });

  test('a visibility timeout under 6 × the function timeout', () => {
    const t = copy();
    functionNamed(t, 'compactor')[1].Properties!['Timeout'] = 300;
    assertReports(t, `${resources.jobsQueue.name}: VisibilityTimeout 720 is less than 6 × the compactor timeout (300 s)`);
    assertReports(t, 'Timeout 300, resources.ts says 120');
  });

  test('a memory size that differs from the one the cost model uses', () => {
    const t = copy();
    functionNamed(t, 'ingest')[1].Properties!['MemorySize'] = 512;
    assertReports(t, 'function strata-ci-ingest: MemorySize 512, resources.ts says 1024');
  });

  test('a notification filter or destination that differs', () => {
    const t = copy();
    const notification = (bucketOf(t)[1].Properties!['NotificationConfiguration'] as { QueueConfigurations: Array<Record<string, unknown>> })
      .QueueConfigurations[0]!;
    (notification['Filter'] as { S3Key: { Rules: Array<{ Name: string; Value: string }> } }).S3Key.Rules = [{ Name: 'prefix', Value: 'segments/' }];
    assertReports(t, 'notification filter is {"prefix":"segments/"}');
    notification['Queue'] = { 'Fn::GetAtt': [queueNamed(t, resources.jobsQueue.name)[0], 'Arn'] };
    assertReports(t, 'the notification does not go to the events queue');
  });

  test('a bucket without encryption, public access block, owner enforcement or lifecycle rules', () => {
    const t = copy();
    const bucket = bucketOf(t)[1].Properties!;
    delete bucket['BucketEncryption'];
    (bucket['PublicAccessBlockConfiguration'] as Record<string, boolean>)['RestrictPublicBuckets'] = false;
    delete bucket['OwnershipControls'];
    delete bucket['LifecycleConfiguration'];
    assertReports(t, 'no default encryption');
    assertReports(t, 'PublicAccessBlockConfiguration.RestrictPublicBuckets is not true');
    assertReports(t, 'ObjectOwnership is not BucketOwnerEnforced');
    assertReports(t, 'no enabled lifecycle rule expiring quarantine/');
    assertReports(t, 'no enabled lifecycle rule aborting incomplete multipart uploads');
  });

  test('names that drift from resources.ts', () => {
    const t = copy();
    queueNamed(t, resources.eventsQueue.name)[1].Properties!['QueueName'] = 'strata-ci-s3-events';
    assertReports(t, `queue ${resources.eventsQueue.name} (eventsQueue) is missing`);
  });

  test('a runtime older than nodejs22.x, or x86_64', () => {
    const t = copy();
    functionNamed(t, 'tick')[1].Properties!['Runtime'] = 'nodejs20.x';
    functionNamed(t, 'ingest')[1].Properties!['Architectures'] = ['x86_64'];
    assertReports(t, 'runtime nodejs20.x, expected nodejs22.x or newer');
    assertReports(t, 'Architectures ["x86_64"], expected ["arm64"]');
  });

  test('IAM wildcards: an action, a resource, the whole bucket', () => {
    const t = copy();
    const statements = roleOf(t, 'planner') as Array<Record<string, unknown>>;
    statements.push({ Effect: 'Allow', Action: 's3:*', Resource: { 'Fn::Sub': `\${${bucketOf(t)[0]}.Arn}/state/*` } });
    statements.push({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: '*' });
    statements.push({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: { 'Fn::Sub': `\${${bucketOf(t)[0]}.Arn}/*` } });
    assertReports(t, 'action s3:* is a wildcard');
    assertReports(t, 'resource "*" is a wildcard');
    assertReports(t, 'bucket:* is not one key prefix of the bucket');
  });

  test('a grant beyond the access table, or one missing from it', () => {
    const t = copy();
    const statements = roleOf(t, 'ingest') as Array<Record<string, unknown>>;
    statements.push({ Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: { 'Fn::Sub': `\${${bucketOf(t)[0]}.Arn}/blocks/*` } });
    assertReports(t, 'ingest: its role grants s3:DeleteObject bucket:blocks/*, which the access table does not give it');
    const u = copy();
    const tick = roleOf(u, 'tick') as Array<Record<string, unknown>>;
    tick.splice(tick.findIndex((s) => s['Sid'] === 'SendJobs'), 1);
    assertReports(u, `tick: its role lacks sqs:SendMessage queue:${resources.jobsQueue.name}`);
  });

  test('a credential in the environment, or a public Function URL', () => {
    const t = copy();
    const [, compactor] = functionNamed(t, 'compactor');
    (compactor.Properties!['Environment'] as { Variables: Record<string, unknown> }).Variables['STRATA_REMOTE_WRITE_PASSWORD'] = 'hunter2';
    const [, url] = resourceWhere(t, 'AWS::Lambda::Url', () => true);
    url.Properties!['AuthType'] = 'NONE';
    assertReports(t, 'STRATA_REMOTE_WRITE_PASSWORD looks like a credential');
    assertReports(t, "the Function URL's AuthType is NONE, expected AWS_IAM");
  });
});
