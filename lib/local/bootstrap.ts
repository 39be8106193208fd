/**
 * Creates Strata's bucket, queues and bucket notification through the AWS SDK, so the same
 * code provisions the embedded stack and LocalStack. Idempotent: running it again converges
 * the attributes and leaves an unchanged notification configuration alone (setting it again
 * would make S3 send another s3:TestEvent).
 */
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type QueueConfiguration,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDescription, StrataResources } from '../aws/resources.js';

export interface BootstrapClients {
  s3: S3Client;
  sqs: SQSClient;
}

export interface QueueHandle {
  name: string;
  url: string;
  arn: string;
}

export interface BootstrappedResources {
  bucket: string;
  eventsQueue: QueueHandle;
  eventsDeadLetterQueue: QueueHandle;
  jobsQueue: QueueHandle;
  jobsDeadLetterQueue: QueueHandle;
}

export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
}

/** The notification's ID in the bucket configuration, reported as `configurationId` in events. */
export const segmentNotificationId = 'strata-segment-created';

export async function bootstrapResources(
  clients: BootstrapClients,
  resources: StrataResources,
): Promise<BootstrappedResources> {
  await createBucket(clients.s3, resources.bucket);
  const eventsDeadLetterQueue = await ensureQueue(clients.sqs, resources.eventsDeadLetterQueue);
  const jobsDeadLetterQueue = await ensureQueue(clients.sqs, resources.jobsDeadLetterQueue);
  const deadLetterQueues = new Map([eventsDeadLetterQueue, jobsDeadLetterQueue].map((queue) => [queue.name, queue]));
  const eventsQueue = await ensureQueue(clients.sqs, resources.eventsQueue, deadLetterQueues, resources.bucket);
  const jobsQueue = await ensureQueue(clients.sqs, resources.jobsQueue, deadLetterQueues);

  if (resources.notification.queueName !== eventsQueue.name) {
    throw new BootstrapError(`notification queue ${resources.notification.queueName} is not the events queue`);
  }
  await ensureNotification(clients.s3, resources, eventsQueue.arn);
  return { bucket: resources.bucket, eventsQueue, eventsDeadLetterQueue, jobsQueue, jobsDeadLetterQueue };
}

async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  const region = await s3.config.region();
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the one region S3 rejects as an explicit location constraint.
        ...(region !== 'us-east-1' && { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

/**
 * Creates the queue with only the attribute that cannot change later, then sets the rest:
 * CreateQueue fails on an existing queue whose attributes differ, SetQueueAttributes converges them.
 */
async function ensureQueue(
  sqs: SQSClient,
  description: QueueDescription,
  deadLetterQueues: ReadonlyMap<string, QueueHandle> = new Map(),
  notifyingBucket?: string,
): Promise<QueueHandle> {
  const created = await sqs.send(
    new CreateQueueCommand({
      QueueName: description.name,
      ...(description.fifo && { Attributes: { FifoQueue: 'true' } }),
    }),
  );
  const url = created.QueueUrl;
  if (!url) throw new BootstrapError(`CreateQueue returned no URL for ${description.name}`);
  const arn = await queueArn(sqs, url);

  const attributes: Record<string, string> = {
    VisibilityTimeout: String(description.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(description.retentionSeconds),
  };
  if (description.deadLetter) {
    const deadLetterQueue = deadLetterQueues.get(description.deadLetter.queueName);
    if (!deadLetterQueue) throw new BootstrapError(`dead-letter queue ${description.deadLetter.queueName} is not described`);
    attributes['RedrivePolicy'] = JSON.stringify({
      deadLetterTargetArn: deadLetterQueue.arn,
      maxReceiveCount: description.deadLetter.maxReceiveCount,
    });
  }
  if (notifyingBucket) {
    // Real S3 (and LocalStack's destination check) needs the queue to let S3 send to it.
    attributes['Policy'] = s3SendPolicy(arn, notifyingBucket);
  }
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: attributes }));
  return { name: description.name, url, arn };
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.['QueueArn'];
  if (!arn) throw new BootstrapError(`GetQueueAttributes returned no QueueArn for ${url}`);
  return arn;
}

function s3SendPolicy(queueArn: string, bucket: string): string {
  const partition = queueArn.split(':')[1] ?? 'aws';
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowBucketNotifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnLike: { 'aws:SourceArn': `arn:${partition}:s3:::${bucket}` } },
      },
    ],
  });
}

async function ensureNotification(s3: S3Client, resources: StrataResources, queueArn: string): Promise<void> {
  const { notification } = resources;
  const desired: QueueConfiguration = {
    Id: segmentNotificationId,
    QueueArn: queueArn,
    Events: notification.events as QueueConfiguration['Events'],
    Filter: {
      Key: {
        FilterRules: [
          { Name: 'prefix', Value: notification.prefix },
          { Name: 'suffix', Value: notification.suffix },
        ],
      },
    },
  };
  const current = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: resources.bucket }));
  const others = [current.TopicConfigurations, current.LambdaFunctionConfigurations].some((list) => list?.length);
  const queues = current.QueueConfigurations ?? [];
  const [only] = queues;
  if (!others && !current.EventBridgeConfiguration && queues.length === 1 && only && sameQueueConfiguration(only, desired)) {
    return;
  }
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: resources.bucket,
      NotificationConfiguration: { QueueConfigurations: [desired] },
    }),
  );
}

function sameQueueConfiguration(a: QueueConfiguration, b: QueueConfiguration): boolean {
  const rules = (configuration: QueueConfiguration) =>
    (configuration.Filter?.Key?.FilterRules ?? [])
      .map((rule) => `${rule.Name?.toLowerCase()}=${rule.Value}`)
      .sort()
      .join('\n');
  const events = (configuration: QueueConfiguration) => [...(configuration.Events ?? [])].sort().join('\n');
  return a.Id === b.Id && a.QueueArn === b.QueueArn && events(a) === events(b) && rules(a) === rules(b);
}
