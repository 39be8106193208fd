/**
 * Fixtures for planner, metastore and tick tests: segment ids, S3 event messages as S3 sends them,
 * and a recording job queue.
 */
import type { MessageQueue, OutgoingMessage, ReceivedMessage } from '../../lib/aws/contract.js';
import { emptyState } from '../../lib/metastore/schema.js';
import type { PendingSegment, ShardState } from '../../lib/metastore/types.js';
import { encodeEventKey } from '../../lib/local/notifications.js';

/** A valid ULID whose order follows n. */
export function segmentId(n: number): string {
  return `01JD5Z3Q4R${String(n).padStart(16, '0')}`;
}

export function pendingSegments(count: number, createdAt = 1_000, size = 1000, first = 0): PendingSegment[] {
  return Array.from({ length: count }, (_, i) => ({ id: segmentId(first + i), size, createdAt }));
}

export function stateWith(overrides: Partial<ShardState> = {}): ShardState {
  return { ...emptyState('team-a', 3, 'gen0'), ...overrides };
}

export interface EventRecordInput {
  key: string;
  bucket: string;
  size?: number;
  eventName?: string;
  eventTime?: string;
}

/** An SQS message body as S3 writes it: one or more records, keys form-URL-encoded. */
export function s3EventBody(records: readonly EventRecordInput[]): string {
  return JSON.stringify({
    Records: records.map((record) => ({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventTime: record.eventTime ?? new Date().toISOString(),
      eventName: record.eventName ?? 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        configurationId: 'strata-segment-created',
        bucket: { name: record.bucket, arn: `arn:aws:s3:::${record.bucket}` },
        object: { key: encodeEventKey(record.key), size: record.size ?? 100, eTag: 'x', sequencer: '00' },
      },
    })),
  });
}

export const testEventBody = JSON.stringify({
  Service: 'Amazon S3',
  Event: 's3:TestEvent',
  Time: new Date().toISOString(),
  Bucket: 'b',
  RequestId: 'r',
  HostId: 'h',
});

/** A MessageQueue that records what is sent and accepts everything. */
export class RecordingQueue implements MessageQueue {
  readonly sent: OutgoingMessage[] = [];
  constructor(readonly url = 'memory://jobs.fifo') {}
  async sendBatch(messages: readonly OutgoingMessage[]): Promise<void> {
    this.sent.push(...messages);
  }
  async receive(): Promise<ReceivedMessage[]> {
    return [];
  }
  async deleteBatch(): Promise<void> {}
  async changeVisibility(): Promise<void> {}
}
