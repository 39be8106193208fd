/**
 * The AWS resources Strata runs on, described once.
 *
 * The embedded stack's bootstrap creates exactly these (lib/local/bootstrap.ts), and the
 * resources in serverless.yml mirror them; test/integration/template.test.ts compares the packaged
 * CloudFormation template with this description so the two cannot drift apart.
 */

export interface QueueDescription {
  name: string;
  fifo: boolean;
  /** Seconds; at least 6x the consuming function's timeout, as Lambda's event source mapping needs. */
  visibilityTimeoutSeconds: number;
  /** Seconds a message is kept. */
  retentionSeconds: number;
  /** The dead-letter queue and how many receives move a message there. */
  deadLetter?: { queueName: string; maxReceiveCount: number };
}

export interface NotificationDescription {
  /** Name of the queue that receives the S3 events. */
  queueName: string;
  events: string[];
  prefix: string;
  suffix: string;
}

export interface StrataResources {
  bucket: string;
  eventsQueue: QueueDescription;
  eventsDeadLetterQueue: QueueDescription;
  jobsQueue: QueueDescription;
  jobsDeadLetterQueue: QueueDescription;
  notification: NotificationDescription;
}

/** Function timeouts (seconds); the queues' visibility timeouts are derived from the consumers' ones. */
export const functionTimeoutSeconds = { ingest: 30, planner: 30, compactor: 120, tick: 60 } as const;

/** Function memory (MB), which Lambda bills by (GB-seconds) and gives CPU in proportion to. */
export const functionMemoryMb = { ingest: 1024, planner: 512, compactor: 2048, tick: 512 } as const;

/** How Lambda feeds a queue to its function (the SQS event source mapping), and how the local runner must too. */
export interface EventSourceDescription {
  /** The queue's name in `StrataResources`. */
  queue: 'eventsQueue' | 'jobsQueue';
  batchSize: number;
  /** MaximumBatchingWindowInSeconds; 0 = invoke with what one poll returns. */
  maximumBatchingWindowSeconds: number;
  /** ScalingConfig.MaximumConcurrency (2 to 1000). */
  maximumConcurrency: number;
  /** Always true: the handlers return `batchItemFailures`. */
  reportBatchItemFailures: true;
}

/**
 * planner: big batches over a short window, so that one invocation plans many segments of a shard
 * with one state write, and few concurrent planners, so that they rarely race on the same state.
 * compactor: one job per invocation, so the timeout bounds one job and a failure retries only it;
 * the FIFO groups (one per shard for L1 jobs, one per tenant and level for merges) limit
 * concurrency to about the number of active shards anyway.
 */
export const eventSources = {
  planner: { queue: 'eventsQueue', batchSize: 100, maximumBatchingWindowSeconds: 5, maximumConcurrency: 5, reportBatchItemFailures: true },
  compactor: { queue: 'jobsQueue', batchSize: 1, maximumBatchingWindowSeconds: 0, maximumConcurrency: 20, reportBatchItemFailures: true },
} as const satisfies Record<string, EventSourceDescription>;

/** The tick's schedule (an EventBridge expression). */
export const tickSchedule = 'rate(1 minute)';

/**
 * Where the deployment runs. On AWS the bucket name carries the account and region, because bucket
 * names are global: `strata-prod-data` may already belong to someone else. The embedded stack has
 * neither, and keeps the short name.
 */
export interface ResourceLocation {
  accountId?: string;
  region?: string;
}

const fourteenDays = 14 * 24 * 3600;

/**
 * Resource names for a stage: `strata-<stage>-…`, the same names serverless.yml uses. The bucket is
 * `strata-<stage>-data`, followed by `-<accountId>` and `-<region>` when they are given (serverless.yml
 * passes `${AWS::AccountId}` and `${AWS::Region}`).
 */
export function strataResources(stage = 'dev', location: ResourceLocation = {}): StrataResources {
  const prefix = `strata-${stage}`;
  const bucketSuffix = [location.accountId, location.region].filter((part) => part !== undefined && part !== '').map((part) => `-${part}`).join('');
  return {
    bucket: `${prefix}-data${bucketSuffix}`,
    eventsQueue: {
      name: `${prefix}-events`,
      fifo: false,
      visibilityTimeoutSeconds: 6 * functionTimeoutSeconds.planner,
      retentionSeconds: fourteenDays,
      deadLetter: { queueName: `${prefix}-events-dlq`, maxReceiveCount: 5 },
    },
    eventsDeadLetterQueue: {
      name: `${prefix}-events-dlq`,
      fifo: false,
      visibilityTimeoutSeconds: 30,
      retentionSeconds: fourteenDays,
    },
    jobsQueue: {
      name: `${prefix}-jobs.fifo`,
      fifo: true,
      visibilityTimeoutSeconds: 6 * functionTimeoutSeconds.compactor,
      retentionSeconds: fourteenDays,
      deadLetter: { queueName: `${prefix}-jobs-dlq.fifo`, maxReceiveCount: 5 },
    },
    jobsDeadLetterQueue: {
      name: `${prefix}-jobs-dlq.fifo`,
      fifo: true,
      visibilityTimeoutSeconds: 30,
      retentionSeconds: fourteenDays,
    },
    notification: {
      queueName: `${prefix}-events`,
      events: ['s3:ObjectCreated:*'],
      prefix: 'segments/',
      suffix: '.seg',
    },
  };
}
