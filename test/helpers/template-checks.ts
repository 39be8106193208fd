/**
 * Checks a packaged CloudFormation template (osls package → cloudformation-template-update-stack.json)
 * against lib/aws/resources.ts and the safety properties the deployment must keep. `checkTemplate`
 * returns every problem it finds as a sentence, so that a test can both require none and prove, on
 * a mutated copy, that a given breakage is reported.
 *
 * Resources are found by what they are (a queue by its QueueName, a function by its FunctionName),
 * never by logical id, so renaming a logical id is not a finding but dropping a DLQ is.
 */
import type { StrataResources, QueueDescription, EventSourceDescription } from '../../lib/aws/resources.js';

export type FunctionName = 'ingest' | 'planner' | 'compactor' | 'tick';
export const functionNames: readonly FunctionName[] = ['ingest', 'planner', 'compactor', 'tick'];

/** What one function's role may do: the least-privilege table the template must match exactly. */
export interface FunctionAccess {
  /** S3 object actions → key prefixes (without the trailing slash). */
  objects: Partial<Record<'s3:GetObject' | 's3:PutObject' | 's3:DeleteObject' | 's3:AbortMultipartUpload', readonly string[]>>;
  listBucket: boolean;
  /** The queue whose event source feeds the function. */
  consumes?: 'eventsQueue' | 'jobsQueue';
  sendsTo: ReadonlyArray<'eventsQueue' | 'jobsQueue'>;
  /** Reads the remote-write secret (when one is configured). */
  readsSecret: boolean;
}

export interface TemplateExpectations {
  stage: string;
  /** strataResources(stage, { accountId: '${AWS::AccountId}', region: '${AWS::Region}' }). */
  resources: StrataResources;
  timeouts: Readonly<Record<FunctionName, number>>;
  memory: Readonly<Record<FunctionName, number>>;
  eventSources: Readonly<Record<'planner' | 'compactor', EventSourceDescription>>;
  tickSchedule: string;
  access: Readonly<Record<FunctionName, FunctionAccess>>;
  /** The --param remoteWriteSecretArn the template was packaged with, if any. */
  remoteWriteSecretArn?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Conditions?: Record<string, Json>;
  Outputs?: Record<string, Json>;
}
export interface CfnResource {
  Type: string;
  Properties?: JsonObject;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  Condition?: string;
}

const requiredEnvironment = [
  'STRATA_BUCKET',
  'STRATA_EVENTS_QUEUE_URL',
  'STRATA_JOBS_QUEUE_URL',
  'STRATA_SHARD_COUNT',
  'STRATA_REMOTE_WRITE_URL',
  'STRATA_REMOTE_WRITE_SECRET_ARN',
  'STRATA_RULES',
  'STRATA_LOG_LEVEL',
];

/** Environment variable names that would carry a credential's value rather than where to find it. */
const secretLookingName = /(PASSWORD|TOKEN|API_KEYS|SECRET)(?!_ARN$)/;

export function checkTemplate(template: CfnTemplate, expected: TemplateExpectations): string[] {
  const problems: string[] = [];
  const report = (problem: string) => problems.push(problem);
  const index = indexTemplate(template);

  const queueIds = checkQueues(index, expected, report);
  const bucketId = checkBucket(index, expected, queueIds, report);
  const functionIds = checkFunctions(index, expected, queueIds, bucketId, report);
  checkEventSources(index, expected, queueIds, functionIds, report);
  checkTick(index, expected, functionIds, report);
  checkIngestUrl(index, functionIds, report);
  checkIam(index, expected, queueIds, bucketId, functionIds, report);
  return problems;
}

// ---------------------------------------------------------------------------------------- lookup

interface TemplateIndex {
  template: CfnTemplate;
  ofType(type: string): Array<[string, CfnResource]>;
}

function indexTemplate(template: CfnTemplate): TemplateIndex {
  const resources = template.Resources ?? {};
  return {
    template,
    ofType: (type) => Object.entries(resources).filter(([, resource]) => resource.Type === type),
  };
}

function props(resource: CfnResource | undefined): JsonObject {
  return resource?.Properties ?? {};
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A literal string, or the template string of an Fn::Sub (placeholders such as ${AWS::AccountId} kept). */
export function cfnString(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value)) {
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string') return sub;
    if (Array.isArray(sub) && typeof sub[0] === 'string' && (sub[1] === undefined || (isObject(sub[1]) && Object.keys(sub[1]).length === 0))) {
      return sub[0];
    }
  }
  return undefined;
}

/** The logical id a `Ref` or `Fn::GetAtt [id, attribute]` points at. */
function refTarget(value: Json | undefined, attribute?: string): string | undefined {
  if (!isObject(value)) return undefined;
  if (attribute === undefined && typeof value['Ref'] === 'string') return value['Ref'];
  const getAtt = value['Fn::GetAtt'];
  if (attribute !== undefined && Array.isArray(getAtt) && getAtt.length === 2 && getAtt[1] === attribute && typeof getAtt[0] === 'string') {
    return getAtt[0];
  }
  if (attribute !== undefined && typeof getAtt === 'string' && getAtt.endsWith(`.${attribute}`)) return getAtt.slice(0, -attribute.length - 1);
  return undefined;
}

function dependsOn(resource: CfnResource): string[] {
  const value = resource.DependsOn;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function asArray(value: Json | undefined): Json[] {
  return value === undefined || value === null ? [] : Array.isArray(value) ? value : [value];
}

// ---------------------------------------------------------------------------------------- queues

type QueueKey = 'eventsQueue' | 'eventsDeadLetterQueue' | 'jobsQueue' | 'jobsDeadLetterQueue';
const queueKeys: readonly QueueKey[] = ['eventsQueue', 'eventsDeadLetterQueue', 'jobsQueue', 'jobsDeadLetterQueue'];

function checkQueues(index: TemplateIndex, expected: TemplateExpectations, report: (p: string) => void): Partial<Record<QueueKey, string>> {
  const queues = index.ofType('AWS::SQS::Queue');
  const byName = new Map(queues.map(([id, resource]) => [cfnString(props(resource)['QueueName']), id] as const));
  const ids: Partial<Record<QueueKey, string>> = {};
  for (const key of queueKeys) {
    const description: QueueDescription = expected.resources[key];
    const id = byName.get(description.name);
    if (id === undefined) {
      report(`queue ${description.name} (${key}) is missing`);
      continue;
    }
    ids[key] = id;
  }
  const nameOf = new Map(queues.map(([id, resource]) => [id, cfnString(props(resource)['QueueName'])] as const));
  for (const key of queueKeys) {
    const id = ids[key];
    if (id === undefined) continue;
    const description = expected.resources[key];
    const p = props(index.template.Resources[id]);
    const fifo = p['FifoQueue'] === true || p['FifoQueue'] === 'true';
    if (fifo !== description.fifo) report(`queue ${description.name}: FifoQueue is ${fifo}, resources.ts says ${description.fifo}`);
    if (Number(p['VisibilityTimeout']) !== description.visibilityTimeoutSeconds) {
      report(`queue ${description.name}: VisibilityTimeout ${String(p['VisibilityTimeout'])}, resources.ts says ${description.visibilityTimeoutSeconds}`);
    }
    if (Number(p['MessageRetentionPeriod']) !== description.retentionSeconds) {
      report(`queue ${description.name}: MessageRetentionPeriod ${String(p['MessageRetentionPeriod'])}, resources.ts says ${description.retentionSeconds}`);
    }
    const redrive = p['RedrivePolicy'];
    if (description.deadLetter === undefined) {
      if (redrive !== undefined) report(`queue ${description.name} has a RedrivePolicy that resources.ts does not describe`);
      continue;
    }
    if (!isObject(redrive)) {
      report(`queue ${description.name} has no dead-letter queue (RedrivePolicy missing)`);
      continue;
    }
    const target = refTarget(redrive['deadLetterTargetArn'], 'Arn');
    if (target === undefined || nameOf.get(target) !== description.deadLetter.queueName) {
      report(`queue ${description.name}: its dead-letter queue must be ${description.deadLetter.queueName} (RedrivePolicy.deadLetterTargetArn is ${JSON.stringify(redrive['deadLetterTargetArn'])})`);
    }
    if (Number(redrive['maxReceiveCount']) !== description.deadLetter.maxReceiveCount) {
      report(`queue ${description.name}: maxReceiveCount ${String(redrive['maxReceiveCount'])}, resources.ts says ${description.deadLetter.maxReceiveCount}`);
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------------------- bucket

function checkBucket(
  index: TemplateIndex,
  expected: TemplateExpectations,
  queueIds: Partial<Record<QueueKey, string>>,
  report: (p: string) => void,
): string | undefined {
  const name = expected.resources.bucket;
  const buckets = index.ofType('AWS::S3::Bucket').filter(([, resource]) => cfnString(props(resource)['BucketName']) === name);
  const [found] = buckets;
  if (found === undefined) {
    report(`bucket ${name} is missing`);
    return undefined;
  }
  const [bucketId, bucket] = found;
  const p = props(bucket);

  const encryption = asArray((p['BucketEncryption'] as JsonObject | undefined)?.['ServerSideEncryptionConfiguration']);
  const algorithms = encryption.map((rule) => (isObject(rule) && isObject(rule['ServerSideEncryptionByDefault']) ? rule['ServerSideEncryptionByDefault']['SSEAlgorithm'] : undefined));
  if (!algorithms.some((algorithm) => algorithm === 'AES256' || algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse')) {
    report(`bucket ${name}: no default encryption (BucketEncryption)`);
  }
  const block = p['PublicAccessBlockConfiguration'];
  for (const setting of ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets']) {
    if (!isObject(block) || block[setting] !== true) report(`bucket ${name}: PublicAccessBlockConfiguration.${setting} is not true`);
  }
  const ownership = asArray((p['OwnershipControls'] as JsonObject | undefined)?.['Rules']);
  if (!ownership.some((rule) => isObject(rule) && rule['ObjectOwnership'] === 'BucketOwnerEnforced')) {
    report(`bucket ${name}: ObjectOwnership is not BucketOwnerEnforced`);
  }
  const rules = asArray((p['LifecycleConfiguration'] as JsonObject | undefined)?.['Rules']).filter(isObject).filter((rule) => rule['Status'] === 'Enabled');
  const rulePrefix = (rule: JsonObject) => (typeof rule['Prefix'] === 'string' ? rule['Prefix'] : isObject(rule['Filter']) ? rule['Filter']['Prefix'] : undefined);
  if (!rules.some((rule) => rulePrefix(rule) === 'quarantine/' && Number(rule['ExpirationInDays']) > 0)) {
    report(`bucket ${name}: no enabled lifecycle rule expiring quarantine/`);
  }
  if (!rules.some((rule) => isObject(rule['AbortIncompleteMultipartUpload']) && Number(rule['AbortIncompleteMultipartUpload']['DaysAfterInitiation']) > 0)) {
    report(`bucket ${name}: no enabled lifecycle rule aborting incomplete multipart uploads`);
  }

  // The notification: exactly the one resources.ts describes, to the events queue.
  const notification = expected.resources.notification;
  const configurations = asArray((p['NotificationConfiguration'] as JsonObject | undefined)?.['QueueConfigurations']).filter(isObject);
  const others = ['TopicConfigurations', 'LambdaConfigurations'].filter((key) => asArray((p['NotificationConfiguration'] as JsonObject | undefined)?.[key]).length > 0);
  if (others.length > 0) report(`bucket ${name}: unexpected notifications (${others.join(', ')})`);
  if (configurations.length !== notification.events.length) {
    report(`bucket ${name}: ${configurations.length} queue notification(s), resources.ts describes ${notification.events.length} (${notification.events.join(', ')} on ${notification.prefix}*${notification.suffix})`);
  }
  const eventsQueueId = queueIds.eventsQueue;
  for (const configuration of configurations) {
    const event = configuration['Event'];
    if (typeof event !== 'string' || !notification.events.includes(event)) report(`bucket ${name}: notification event ${JSON.stringify(event)} is not one of ${notification.events.join(', ')}`);
    if (eventsQueueId === undefined || refTarget(configuration['Queue'], 'Arn') !== eventsQueueId) {
      report(`bucket ${name}: the notification does not go to the events queue ${notification.queueName}`);
    }
    const filterRules = asArray(((configuration['Filter'] as JsonObject | undefined)?.['S3Key'] as JsonObject | undefined)?.['Rules']).filter(isObject);
    const filter = Object.fromEntries(filterRules.map((rule) => [String(rule['Name']).toLowerCase(), rule['Value']]));
    if (filter['prefix'] !== notification.prefix || filter['suffix'] !== notification.suffix || filterRules.length !== 2) {
      report(`bucket ${name}: notification filter is ${JSON.stringify(filter)}, resources.ts says prefix ${notification.prefix} and suffix ${notification.suffix}`);
    }
  }

  checkQueuePolicy(index, name, bucketId, bucket, eventsQueueId, report);
  return bucketId;
}

/**
 * S3 may send to the events queue only if the queue's policy says so, and CloudFormation must
 * create that policy before the bucket (S3 checks the destination when the notification is set).
 * The policy names the bucket by a literal ARN: a Ref/GetAtt to the bucket would close the cycle
 * bucket → queue (notification) → policy → bucket.
 */
function checkQueuePolicy(
  index: TemplateIndex,
  bucketName: string,
  bucketId: string,
  bucket: CfnResource,
  eventsQueueId: string | undefined,
  report: (p: string) => void,
): void {
  if (eventsQueueId === undefined) return;
  const policies = index
    .ofType('AWS::SQS::QueuePolicy')
    .filter(([, resource]) => asArray(props(resource)['Queues']).some((queue) => refTarget(queue) === eventsQueueId));
  const literalArn = `arn:\${AWS::Partition}:s3:::${bucketName}`;
  for (const [policyId, policy] of policies) {
    const text = JSON.stringify(policy);
    if (text.includes(`"${bucketId}"`) || text.includes(`\${${bucketId}`)) {
      report(`events queue policy ${policyId} refers to the bucket resource ${bucketId}: that is a circular dependency, use its literal ARN`);
    }
  }
  const matching = policies.filter(([, resource]) => {
    const statements = asArray((props(resource)['PolicyDocument'] as JsonObject | undefined)?.['Statement']).filter(isObject);
    return statements.some((statement) => {
      const principal = statement['Principal'];
      const service = isObject(principal) ? asArray(principal['Service']) : [];
      const actions = asArray(statement['Action']);
      const condition = statement['Condition'];
      const sourceArn = isObject(condition)
        ? [condition['ArnLike'], condition['ArnEquals']].filter(isObject).map((test) => test['aws:SourceArn'])[0]
        : undefined;
      return (
        statement['Effect'] === 'Allow' &&
        service.includes('s3.amazonaws.com') &&
        actions.includes('sqs:SendMessage') &&
        refTarget(statement['Resource'], 'Arn') === eventsQueueId &&
        cfnString(sourceArn) === literalArn
      );
    });
  });
  const [policy] = matching;
  if (policy === undefined) {
    report(`events queue: no queue policy letting s3.amazonaws.com send to it from ${literalArn} (aws:SourceArn, a literal ARN)`);
    return;
  }
  const [policyId] = policy;
  if (!dependsOn(bucket).includes(policyId)) report(`bucket ${bucketName} does not DependsOn the queue policy ${policyId}: S3 may check the notification before the policy exists`);
}

// ---------------------------------------------------------------------------------------- functions

function checkFunctions(
  index: TemplateIndex,
  expected: TemplateExpectations,
  queueIds: Partial<Record<QueueKey, string>>,
  bucketId: string | undefined,
  report: (p: string) => void,
): Partial<Record<FunctionName, string>> {
  const functions = index.ofType('AWS::Lambda::Function');
  const ids: Partial<Record<FunctionName, string>> = {};
  for (const name of functionNames) {
    const functionName = `strata-${expected.stage}-${name}`;
    const found = functions.find(([, resource]) => props(resource)['FunctionName'] === functionName);
    if (found === undefined) {
      report(`function ${functionName} is missing`);
      continue;
    }
    const [id, resource] = found;
    ids[name] = id;
    const p = props(resource);
    const runtime = String(p['Runtime']);
    const major = /^nodejs(\d+)\.x$/.exec(runtime)?.[1];
    if (major === undefined || Number(major) < 22) report(`function ${functionName}: runtime ${runtime}, expected nodejs22.x or newer`);
    if (JSON.stringify(p['Architectures']) !== JSON.stringify(['arm64'])) report(`function ${functionName}: Architectures ${JSON.stringify(p['Architectures'])}, expected ["arm64"]`);
    if (p['Handler'] !== `functions/${name}.handler`) report(`function ${functionName}: Handler ${String(p['Handler'])}, expected functions/${name}.handler`);
    if (Number(p['Timeout']) !== expected.timeouts[name]) report(`function ${functionName}: Timeout ${String(p['Timeout'])}, resources.ts says ${expected.timeouts[name]}`);
    if (Number(p['MemorySize']) !== expected.memory[name]) report(`function ${functionName}: MemorySize ${String(p['MemorySize'])}, resources.ts says ${expected.memory[name]}`);

    const variables = (p['Environment'] as JsonObject | undefined)?.['Variables'];
    const environment = isObject(variables) ? variables : {};
    for (const variable of requiredEnvironment) {
      if (!(variable in environment)) report(`function ${functionName}: environment variable ${variable} is missing`);
    }
    for (const variable of Object.keys(environment)) {
      if (secretLookingName.test(variable)) report(`function ${functionName}: environment variable ${variable} looks like a credential; only a secret's ARN may be in the template`);
    }
    if (bucketId !== undefined && refTarget(environment['STRATA_BUCKET']) !== bucketId) report(`function ${functionName}: STRATA_BUCKET is not the bucket`);
    if (queueIds.eventsQueue !== undefined && refTarget(environment['STRATA_EVENTS_QUEUE_URL']) !== queueIds.eventsQueue) {
      report(`function ${functionName}: STRATA_EVENTS_QUEUE_URL is not the events queue's URL`);
    }
    if (queueIds.jobsQueue !== undefined && refTarget(environment['STRATA_JOBS_QUEUE_URL']) !== queueIds.jobsQueue) {
      report(`function ${functionName}: STRATA_JOBS_QUEUE_URL is not the jobs queue's URL`);
    }
  }
  return ids;
}

function checkEventSources(
  index: TemplateIndex,
  expected: TemplateExpectations,
  queueIds: Partial<Record<QueueKey, string>>,
  functionIds: Partial<Record<FunctionName, string>>,
  report: (p: string) => void,
): void {
  const mappings = index.ofType('AWS::Lambda::EventSourceMapping');
  for (const name of ['planner', 'compactor'] as const) {
    const description = expected.eventSources[name];
    const functionId = functionIds[name];
    const queueId = queueIds[description.queue];
    if (functionId === undefined || queueId === undefined) continue;
    const queue = expected.resources[description.queue];
    const found = mappings.filter(
      ([, resource]) => refTarget(props(resource)['FunctionName'], 'Arn') === functionId || refTarget(props(resource)['FunctionName']) === functionId,
    );
    if (found.length !== 1) {
      report(`${name}: ${found.length} event source mappings, expected exactly one (from ${queue.name})`);
      continue;
    }
    const [, mapping] = found[0]!;
    const p = props(mapping);
    if (refTarget(p['EventSourceArn'], 'Arn') !== queueId) report(`${name}: the event source is not the ${description.queue} (${queue.name})`);
    if (Number(p['BatchSize']) !== description.batchSize) report(`${name}: BatchSize ${String(p['BatchSize'])}, resources.ts says ${description.batchSize}`);
    if (queue.fifo && p['MaximumBatchingWindowInSeconds'] !== undefined) {
      report(`${name}: MaximumBatchingWindowInSeconds is set, but Lambda does not support a batching window on a FIFO queue (${queue.name})`);
    }
    const window = p['MaximumBatchingWindowInSeconds'] === undefined ? 0 : Number(p['MaximumBatchingWindowInSeconds']);
    if (window !== description.maximumBatchingWindowSeconds) report(`${name}: MaximumBatchingWindowInSeconds ${window}, resources.ts says ${description.maximumBatchingWindowSeconds}`);
    const scaling = p['ScalingConfig'];
    const concurrency = isObject(scaling) ? Number(scaling['MaximumConcurrency']) : undefined;
    if (concurrency !== description.maximumConcurrency) report(`${name}: ScalingConfig.MaximumConcurrency ${String(concurrency)}, resources.ts says ${description.maximumConcurrency}`);
    if (!asArray(p['FunctionResponseTypes']).includes('ReportBatchItemFailures')) {
      report(`${name}: the event source mapping lacks FunctionResponseTypes ReportBatchItemFailures, so one failed message would retry the whole batch`);
    }
    if (p['Enabled'] === false) report(`${name}: the event source mapping is disabled`);

    // Lambda's rule: a message must stay invisible for at least 6 function timeouts.
    const functionTimeout = Number(props(index.template.Resources[functionId])['Timeout']);
    const visibility = Number(props(index.template.Resources[queueId])['VisibilityTimeout']);
    if (!(visibility >= 6 * functionTimeout)) {
      report(`${queue.name}: VisibilityTimeout ${visibility} is less than 6 × the ${name} timeout (${functionTimeout} s)`);
    }
  }
}

function checkTick(index: TemplateIndex, expected: TemplateExpectations, functionIds: Partial<Record<FunctionName, string>>, report: (p: string) => void): void {
  const tickId = functionIds.tick;
  if (tickId === undefined) return;
  const rules = index
    .ofType('AWS::Events::Rule')
    .filter(([, resource]) => asArray(props(resource)['Targets']).some((target) => isObject(target) && refTarget(target['Arn'], 'Arn') === tickId));
  if (!rules.some(([, resource]) => props(resource)['ScheduleExpression'] === expected.tickSchedule && props(resource)['State'] !== 'DISABLED')) {
    report(`tick: no enabled schedule ${expected.tickSchedule} invokes it`);
  }
}

function checkIngestUrl(index: TemplateIndex, functionIds: Partial<Record<FunctionName, string>>, report: (p: string) => void): void {
  const ingestId = functionIds.ingest;
  if (ingestId === undefined) return;
  const urls = index.ofType('AWS::Lambda::Url').filter(([, resource]) => refTarget(props(resource)['TargetFunctionArn'], 'Arn') === ingestId);
  if (urls.length !== 1) report(`ingest: ${urls.length} Function URLs, expected one`);
  for (const [, url] of urls) {
    if (props(url)['AuthType'] !== 'AWS_IAM') report(`ingest: the Function URL's AuthType is ${String(props(url)['AuthType'])}, expected AWS_IAM`);
  }
  for (const [id, permission] of index.ofType('AWS::Lambda::Permission')) {
    if (props(permission)['Principal'] === '*') report(`permission ${id} lets anyone (Principal *) invoke a function`);
  }
}

// ---------------------------------------------------------------------------------------- IAM

interface Statement {
  owner: string;
  effect: string;
  actions: string[];
  resources: Json[];
}

/** Every statement of every role and policy, with Fn::If branches taken both ways. */
function statementsOf(owner: string, document: Json | undefined): Statement[] {
  if (!isObject(document)) return [];
  const result: Statement[] = [];
  const visit = (statement: Json) => {
    if (!isObject(statement)) return;
    const branch = statement['Fn::If'];
    if (Array.isArray(branch)) {
      for (const choice of branch.slice(1)) if (!(isObject(choice) && choice['Ref'] === 'AWS::NoValue')) visit(choice);
      return;
    }
    result.push({
      owner,
      effect: String(statement['Effect']),
      actions: asArray(statement['Action']).map(String),
      resources: asArray(statement['Resource']),
    });
  };
  for (const statement of asArray(document['Statement'])) visit(statement);
  return result;
}

function allIamStatements(index: TemplateIndex): Statement[] {
  const statements: Statement[] = [];
  for (const [id, role] of index.ofType('AWS::IAM::Role')) {
    for (const policy of asArray(props(role)['Policies']).filter(isObject)) statements.push(...statementsOf(id, policy['PolicyDocument']));
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of index.ofType(type)) statements.push(...statementsOf(id, props(policy)['PolicyDocument']));
  }
  return statements;
}

/**
 * A resource as a short descriptor: `bucket`, `bucket:<prefix>/*`, `queue:<name>`,
 * `log-group:<name>`, `function:<logical id>`, a literal ARN, or `?<json>` when unrecognised.
 */
function describeResource(resource: Json, bucketId: string | undefined, queueNames: ReadonlyMap<string, string>, functionIdsById: ReadonlyMap<string, string>): string {
  const arnOf = refTarget(resource, 'Arn');
  if (arnOf !== undefined) {
    if (arnOf === bucketId) return 'bucket';
    const queue = queueNames.get(arnOf);
    if (queue !== undefined) return `queue:${queue}`;
    const fn = functionIdsById.get(arnOf);
    if (fn !== undefined) return `function:${fn}`;
    return `?GetAtt ${arnOf}.Arn`;
  }
  const text = cfnString(resource);
  if (text === undefined) return `?${JSON.stringify(resource)}`;
  if (bucketId !== undefined && text.startsWith(`\${${bucketId}.Arn}/`)) return `bucket:${text.slice(`\${${bucketId}.Arn}/`.length)}`;
  const logGroup = /^arn:\$\{AWS::Partition\}:logs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:log-group:([^*:]+):\*$/.exec(text);
  if (logGroup) return `log-group:${logGroup[1]}`;
  return text;
}

function checkIam(
  index: TemplateIndex,
  expected: TemplateExpectations,
  queueIds: Partial<Record<QueueKey, string>>,
  bucketId: string | undefined,
  functionIds: Partial<Record<FunctionName, string>>,
  report: (p: string) => void,
): void {
  const queueNames = new Map<string, string>();
  for (const key of queueKeys) {
    const id = queueIds[key];
    if (id !== undefined) queueNames.set(id, expected.resources[key].name);
  }
  const functionIdsById = new Map(Object.entries(functionIds).map(([name, id]) => [id, name] as const));
  const allowedPrefixes = new Set(['segments', 'blocks', 'state', 'exports', 'quarantine', 'rules', 'config']);

  // 1. No statement anywhere is wider than a prefix.
  const statements = allIamStatements(index);
  for (const statement of statements) {
    for (const action of statement.actions) {
      if (action.includes('*')) report(`${statement.owner}: action ${action} is a wildcard`);
    }
    for (const resource of statement.resources) {
      const described = describeResource(resource, bucketId, queueNames, functionIdsById);
      if (described === '*' || described.startsWith('?')) {
        report(`${statement.owner}: resource ${JSON.stringify(resource)} is a wildcard or not one of the stack's own (${statement.actions.join(', ')})`);
      } else if (described.startsWith('bucket:')) {
        const match = /^([a-z]+)\/\*$/.exec(described.slice('bucket:'.length));
        if (!match || !allowedPrefixes.has(match[1]!)) report(`${statement.owner}: ${described} is not one key prefix of the bucket (${statement.actions.join(', ')})`);
      } else if (described.includes('*')) {
        report(`${statement.owner}: resource ${described} has a wildcard (${statement.actions.join(', ')})`);
      }
    }
  }

  // 2. Each function has a role of its own that grants exactly its row of the table.
  const roles = new Map<FunctionName, string>();
  for (const name of functionNames) {
    const functionId = functionIds[name];
    if (functionId === undefined) continue;
    const roleId = refTarget(props(index.template.Resources[functionId])['Role'], 'Arn');
    if (roleId === undefined || index.template.Resources[roleId]?.Type !== 'AWS::IAM::Role') {
      report(`${name}: its Role is not a role of this stack`);
      continue;
    }
    if ([...roles.values()].includes(roleId)) report(`${name}: shares its role ${roleId} with another function`);
    roles.set(name, roleId);
    const granted = new Set<string>();
    for (const statement of statements.filter((candidate) => candidate.owner === roleId && candidate.effect === 'Allow')) {
      for (const action of statement.actions) {
        for (const resource of statement.resources) granted.add(`${action} ${describeResource(resource, bucketId, queueNames, functionIdsById)}`);
      }
    }
    const wanted = expectedGrants(name, expected);
    for (const grant of granted) if (!wanted.has(grant)) report(`${name}: its role grants ${grant}, which the access table does not give it`);
    for (const grant of wanted) if (!granted.has(grant)) report(`${name}: its role lacks ${grant}`);
  }

  // 3. Pushing needs exactly the ingest URL.
  const pushPolicies = index.ofType('AWS::IAM::ManagedPolicy').filter(([, policy]) => JSON.stringify(policy).includes('lambda:InvokeFunctionUrl'));
  const ingestId = functionIds.ingest;
  if (pushPolicies.length !== 1) report(`a managed policy to push to the ingest Function URL (lambda:InvokeFunctionUrl) is missing`);
  for (const [id, policy] of pushPolicies) {
    for (const statement of statementsOf(id, props(policy)['PolicyDocument'])) {
      const targets = statement.resources.map((resource) => refTarget(resource, 'Arn'));
      if (targets.some((target) => target !== ingestId)) report(`${id}: grants ${statement.actions.join(', ')} beyond the ingest function`);
    }
  }
}

export function expectedGrants(name: FunctionName, expected: TemplateExpectations): Set<string> {
  const access = expected.access[name];
  const grants = new Set<string>([`logs:CreateLogStream log-group:/aws/lambda/strata-${expected.stage}-${name}`, `logs:PutLogEvents log-group:/aws/lambda/strata-${expected.stage}-${name}`]);
  for (const [action, prefixes] of Object.entries(access.objects)) for (const prefix of prefixes ?? []) grants.add(`${action} bucket:${prefix}/*`);
  if (access.listBucket) grants.add('s3:ListBucket bucket');
  if (access.consumes !== undefined) {
    const queue = expected.resources[access.consumes].name;
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) grants.add(`${action} queue:${queue}`);
  }
  for (const target of access.sendsTo) grants.add(`sqs:SendMessage queue:${expected.resources[target].name}`);
  if (access.readsSecret && expected.remoteWriteSecretArn !== undefined) grants.add(`secretsmanager:GetSecretValue ${expected.remoteWriteSecretArn}`);
  return grants;
}
