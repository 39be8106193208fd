/**
 * The AWS resources Strata runs on, described once.
 *
 * The embedded stack's bootstrap creates exactly these (lib/local/bootstrap.ts), and the
 * resources in serverless.yml mirror them; a test compares the two so they cannot drift apart.
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

/** Function timeouts (seconds) that the queues' visibility timeouts are derived from. */
export const functionTimeoutSeconds = { planner: 30, compactor: 120 } as const;

const fourteenDays = 14 * 24 * 3600;

/** Resource names for a stage: `strata-<stage>-…`, the same names serverless.yml uses. */
export function strataResources(stage = 'dev'): StrataResources {
  const prefix = `strata-${stage}`;
  return {
    bucket: `${prefix}-data`,
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
