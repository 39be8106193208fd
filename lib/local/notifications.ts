/**
 * S3 bucket notifications to SQS for the embedded stack, which fauxqs lacks.
 *
 * Holds each bucket's `QueueConfiguration`s (parsed from and rendered to S3's XML), sends
 * the `s3:TestEvent` when a configuration is set, and turns committed writes into the S3
 * event message (version 2.1 of "Event message structure" in the S3 user guide), enqueued
 * directly in fauxqs' queue so delivery cannot fail after the write has been made.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FauxqsInternals, FauxqsSqsStore } from './fauxqs.js';
import { S3ServiceError, escapeXml, invalidArgument, unescapeXml } from './s3-errors.js';

export interface FilterRule {
  name: 'Prefix' | 'Suffix';
  value: string;
}

export interface QueueNotification {
  id: string;
  queueArn: string;
  /** As configured, e.g. `s3:ObjectCreated:*`. */
  events: string[];
  filterRules: FilterRule[];
}

export type S3EventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload'
  | 'ObjectRemoved:Delete';

/** A committed change to one object. `object` is absent for deletions, as in S3's delete events. */
export interface ObjectChange {
  bucket: string;
  key: string;
  eventName: S3EventName;
  object?: { size: number; etag: string };
}

/** Who made the request and how S3 answered it, as the event message reports them. */
export interface RequestContext {
  requestId: string;
  hostId: string;
  principalId: string;
  sourceIp: string;
}

const knownEvents = new Set([
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectRestore:*',
  's3:ObjectRestore:Post',
  's3:ObjectRestore:Completed',
  's3:ObjectRestore:Delete',
  's3:ReducedRedundancyLostObject',
  's3:Replication:*',
  's3:Replication:OperationFailedReplication',
  's3:Replication:OperationMissedThreshold',
  's3:Replication:OperationReplicatedAfterThreshold',
  's3:Replication:OperationNotTracked',
  's3:LifecycleExpiration:*',
  's3:LifecycleExpiration:Delete',
  's3:LifecycleExpiration:DeleteMarkerCreated',
  's3:LifecycleTransition',
  's3:IntelligentTiering',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
  's3:ObjectAcl:Put',
]);

/** A fixed stand-in for the bucket owner's canonical ID, which a local stack does not have. */
const bucketOwnerId = 'A000000000000LOCAL';

/**
 * The object key as S3 writes it in event messages: form-URL-encoded (`application/x-www-form-urlencoded`,
 * so a space becomes `+` and a `+` becomes `%2B`), keeping `/`. The unreserved set is Java's URLEncoder's
 * (`A-Z a-z 0-9 - _ . *`), which is why `! ' ( ) ~` are percent-encoded unlike with encodeURIComponent.
 */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+')
    .replaceAll('%2F', '/');
}

function childElements(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1] ?? '');
}

function childText(xml: string, tag: string): string | undefined {
  const [first] = childElements(xml, tag);
  return first === undefined ? undefined : unescapeXml(first.trim());
}

/** Parses a `NotificationConfiguration` document; only queue destinations are supported. */
export function parseNotificationConfiguration(xml: string): QueueNotification[] {
  for (const unsupported of ['TopicConfiguration', 'CloudFunctionConfiguration', 'EventBridgeConfiguration']) {
    if (xml.includes(`<${unsupported}`)) {
      throw new S3ServiceError('NotImplemented', `The embedded stack supports only QueueConfiguration, not ${unsupported}`, 501);
    }
  }
  return childElements(xml, 'QueueConfiguration').map((configuration) => {
    const queueArn = childText(configuration, 'Queue') ?? '';
    const events = childElements(configuration, 'Event').map((event) => unescapeXml(event.trim()));
    const filterRules = childElements(configuration, 'FilterRule').map((rule): FilterRule => {
      const name = childText(rule, 'Name') ?? '';
      const value = childText(rule, 'Value') ?? '';
      const normalized = name.toLowerCase();
      if (normalized !== 'prefix' && normalized !== 'suffix') {
        throw invalidArgument('filter rule name must be either prefix or suffix', 'FilterRule', name);
      }
      return { name: normalized === 'prefix' ? 'Prefix' : 'Suffix', value };
    });
    return { id: childText(configuration, 'Id') || randomUUID(), queueArn, events, filterRules };
  });
}

export function serializeNotificationConfiguration(configurations: readonly QueueNotification[]): string {
  const queues = configurations.map((configuration) => {
    const events = configuration.events.map((event) => `<Event>${escapeXml(event)}</Event>`).join('');
    const rules = configuration.filterRules
      .map((rule) => `<FilterRule><Name>${rule.name}</Name><Value>${escapeXml(rule.value)}</Value></FilterRule>`)
      .join('');
    const filter = rules ? `<Filter><S3Key>${rules}</S3Key></Filter>` : '';
    return (
      `<QueueConfiguration><Id>${escapeXml(configuration.id)}</Id>` +
      `<Queue>${escapeXml(configuration.queueArn)}</Queue>${events}${filter}</QueueConfiguration>`
    );
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${queues.join('')}</NotificationConfiguration>`
  );
}

function matchesEvent(configuration: QueueNotification, eventName: S3EventName): boolean {
  const full = `s3:${eventName}`;
  const wildcard = `${full.slice(0, full.lastIndexOf(':'))}:*`;
  return configuration.events.includes(full) || configuration.events.includes(wildcard);
}

/** S3 applies filter rules to the URL-encoded key, which is why its docs ask for encoded prefixes. */
function matchesKey(configuration: QueueNotification, encodedKey: string): boolean {
  return configuration.filterRules.every((rule) =>
    rule.name === 'Prefix' ? encodedKey.startsWith(rule.value) : encodedKey.endsWith(rule.value),
  );
}

export class BucketNotifications {
  private readonly byBucket = new Map<string, QueueNotification[]>();
  private lastSequencer = 0n;

  constructor(
    private readonly sqs: FauxqsSqsStore,
    private readonly fauxqs: FauxqsInternals,
    private readonly region: string,
  ) {}

  get(bucket: string): readonly QueueNotification[] {
    return this.byBucket.get(bucket) ?? [];
  }

  /** Validates and replaces the bucket's configuration, then sends one test event per destination queue. */
  set(bucket: string, configurations: QueueNotification[], request: RequestContext, skipDestinationValidation = false): void {
    for (const configuration of configurations) {
      this.validate(configuration, skipDestinationValidation);
    }
    if (configurations.length === 0) {
      this.byBucket.delete(bucket);
      return;
    }
    this.byBucket.set(bucket, configurations);
    const testEvent = JSON.stringify({
      Service: 'Amazon S3',
      Event: 's3:TestEvent',
      Time: new Date().toISOString(),
      Bucket: bucket,
      RequestId: request.requestId,
      HostId: request.hostId,
    });
    for (const queueArn of new Set(configurations.map((configuration) => configuration.queueArn))) {
      this.deliver(queueArn, testEvent);
    }
  }

  /** Forgets a deleted bucket's configuration, as S3 does. */
  drop(bucket: string): void {
    this.byBucket.delete(bucket);
  }

  /** Sends the event for one committed change to every matching configuration's queue. */
  publish(change: ObjectChange, request: RequestContext): void {
    const configurations = this.byBucket.get(change.bucket);
    if (!configurations) return;
    const key = encodeEventKey(change.key);
    const matching = configurations.filter((c) => matchesEvent(c, change.eventName) && matchesKey(c, key));
    if (matching.length === 0) return;
    const sequencer = this.nextSequencer();
    const eventTime = new Date().toISOString();
    for (const configuration of matching) {
      const object = change.object
        ? { key, size: change.object.size, eTag: change.object.etag.replaceAll('"', ''), sequencer }
        : { key, sequencer };
      const record = {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: this.region,
        eventTime,
        eventName: change.eventName,
        userIdentity: { principalId: request.principalId },
        requestParameters: { sourceIPAddress: request.sourceIp },
        responseElements: { 'x-amz-request-id': request.requestId, 'x-amz-id-2': request.hostId },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: configuration.id,
          bucket: { name: change.bucket, ownerIdentity: { principalId: bucketOwnerId }, arn: `arn:aws:s3:::${change.bucket}` },
          object,
        },
      };
      this.deliver(configuration.queueArn, JSON.stringify({ Records: [record] }));
    }
  }

  private validate(configuration: QueueNotification, skipDestinationValidation: boolean): void {
    if (!/^arn:[^:]+:sqs:[^:]+:[^:]+:[^:]+$/.test(configuration.queueArn)) {
      throw invalidArgument('The ARN could not be parsed', 'Queue', configuration.queueArn);
    }
    if (configuration.events.length === 0) {
      throw invalidArgument('At least one event must be specified', 'Event', '');
    }
    for (const event of configuration.events) {
      if (!knownEvents.has(event)) {
        throw invalidArgument('The event is not supported for notifications', 'Event', event);
      }
    }
    for (const name of ['Prefix', 'Suffix'] as const) {
      if (configuration.filterRules.filter((rule) => rule.name === name).length > 1) {
        throw invalidArgument(`Cannot specify more than one ${name.toLowerCase()} rule in a filter.`, 'FilterRule', name);
      }
    }
    if (skipDestinationValidation) return;
    const queue = this.sqs.getQueueByArn(configuration.queueArn);
    if (!queue || queue.isFifo()) {
      throw invalidArgument(
        'Unable to validate the following destination configurations',
        configuration.queueArn,
        queue ? 'FIFO queues are not supported as event notification destinations' : 'The destination queue does not exist',
      );
    }
  }

  /** Fixed width, so comparing two sequencers as strings orders them as S3 documents. */
  private nextSequencer(): string {
    const now = BigInt(Date.now()) << 20n;
    this.lastSequencer = now > this.lastSequencer ? now : this.lastSequencer + 1n;
    return this.lastSequencer.toString(16).toUpperCase().padStart(18, '0');
  }

  /** Like S3, drops the message when the queue is gone, is FIFO or would reject its size. */
  private deliver(queueArn: string, body: string): void {
    const queue = this.sqs.getQueueByArn(queueArn);
    if (!queue || queue.isFifo()) return;
    if (Buffer.byteLength(body) > Number(queue.attributes['MaximumMessageSize'] ?? Infinity)) return;
    const delaySeconds = Number(queue.attributes['DelaySeconds'] ?? 0);
    queue.enqueue(this.fauxqs.createSqsMessage(body, {}, delaySeconds > 0 ? delaySeconds : undefined));
  }
}

/** A random value shaped like S3's `x-amz-id-2` host id. */
export function newHostId(): string {
  return randomBytes(48).toString('base64');
}
