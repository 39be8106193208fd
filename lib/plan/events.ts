/**
 * S3 event notifications as they arrive on the events queue: one JSON message per SQS message,
 * with one or more `Records`, or the `s3:TestEvent` S3 sends when a notification is configured.
 * Keys are form-URL-encoded (`+` is a space). Each record becomes a segment arrival, a key to
 * quarantine, or something to ignore (with the reason, for the log).
 */
import { decodeEventKey, parseDataKey, prefixes, type SegmentKey } from '../segment/keys.js';
import { MalformedEventMessageError } from './errors.js';

export type EventRecord =
  | { kind: 'segment'; key: string; segment: SegmentKey; size: number | undefined; eventTime: number | undefined }
  /** A key under segments/ that does not follow the layout: the object goes to quarantine. */
  | { kind: 'malformed-key'; key: string; reason: string }
  | { kind: 'ignored'; reason: string; key?: string };

export type EventMessage = { kind: 'test' } | { kind: 'records'; records: EventRecord[] };

/**
 * Parses one SQS message body. Throws MalformedEventMessageError when the body is not an S3 event
 * message at all (the message is poison: it fails, and lands in the DLQ after maxReceiveCount).
 * `bucket`, when given, is the only bucket whose records are taken; others are ignored.
 */
export function parseEventMessage(body: string, bucket?: string, messageId?: string): EventMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new MalformedEventMessageError('the message body is not JSON', messageId, { cause });
  }
  if (!isRecord(value)) throw new MalformedEventMessageError('the message body is not a JSON object', messageId);
  if (value['Event'] === 's3:TestEvent') return { kind: 'test' };
  const records = value['Records'];
  if (!Array.isArray(records)) throw new MalformedEventMessageError('the message has no Records array', messageId);
  return { kind: 'records', records: records.map((record) => parseRecord(record, bucket)) };
}

function parseRecord(record: unknown, bucket: string | undefined): EventRecord {
  if (!isRecord(record)) return { kind: 'ignored', reason: 'record is not an object' };
  const eventName = record['eventName'];
  const s3 = record['s3'];
  if (record['eventSource'] !== 'aws:s3' || typeof eventName !== 'string' || !isRecord(s3)) {
    return { kind: 'ignored', reason: 'not an S3 event record' };
  }
  const object = s3['object'];
  const bucketName = isRecord(s3['bucket']) ? s3['bucket']['name'] : undefined;
  if (!isRecord(object) || typeof object['key'] !== 'string') return { kind: 'ignored', reason: 'record has no object key' };
  let key: string;
  try {
    key = decodeEventKey(object['key']);
  } catch {
    // Without the real key the object cannot be found; the tick's listing will meet it.
    return { kind: 'ignored', reason: `undecodable key ${JSON.stringify(object['key'])}` };
  }
  if (bucket !== undefined && bucketName !== bucket) return { kind: 'ignored', key, reason: `event for bucket ${String(bucketName)}` };
  if (!eventName.startsWith('ObjectCreated:')) return { kind: 'ignored', key, reason: `event ${eventName}` };
  // Only the segments/ prefix is ours to judge: quarantining a block or a state object because a
  // notification was misconfigured would destroy data.
  if (!key.startsWith(prefixes.segments)) return { kind: 'ignored', key, reason: 'key outside segments/' };
  const size = typeof object['size'] === 'number' ? object['size'] : undefined;
  const parsedTime = typeof record['eventTime'] === 'string' ? Date.parse(record['eventTime']) : NaN;
  const eventTime = Number.isFinite(parsedTime) ? parsedTime : undefined;
  const segment = classifySegmentKey(key);
  if (typeof segment === 'string') return { kind: 'malformed-key', key, reason: segment };
  return { kind: 'segment', key, segment, size, eventTime };
}

/** The parsed key of a segment, or why the key is not one. */
export function classifySegmentKey(key: string): SegmentKey | string {
  try {
    const parsed = parseDataKey(key);
    return parsed.kind === 'segment' ? parsed : 'a block key under segments/';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
