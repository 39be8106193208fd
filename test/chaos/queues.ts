/**
 * SQS as the fault campaign drives it. The pipeline sends through the MessageQueue interface; the
 * world itself decides which message is received when, so that a seed fixes the delivery order:
 *
 * - a standard queue hands out visible messages in any order and may hand one out twice;
 * - a FIFO queue hands out a group's messages in send order, one at a time (a group waits while its
 *   oldest message is in flight), and drops a message whose deduplication id was sent in the last
 *   five minutes;
 * - a received message is invisible for the visibility timeout, then visible again unless it was
 *   deleted; one received more than `maxReceiveCount` times moves to the dead-letter queue instead
 *   (it is gone: nothing drains the dead-letter queue; the tick adopts what its events announced).
 *
 * Time is the world's clock. Receipt handles are "<messageId>#<receive>": deleting with the handle
 * of an earlier receive does nothing, the conservative reading of SQS's documentation.
 */
import type { MessageQueue, OutgoingMessage, ReceivedMessage, ReceiveOptions } from '../../lib/aws/contract.js';

/** SQS's deduplication interval. */
const deduplicationWindowMs = 5 * 60_000;

interface QueueSettings {
  fifo: boolean;
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
}

export interface SimMessage {
  messageId: string;
  body: string;
  groupId: string | undefined;
  deduplicationId: string | undefined;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
}

export class SimQueue implements MessageQueue {
  readonly messages: SimMessage[] = [];
  private readonly firstSent = new Map<string, number>();
  private nextId = 0;

  constructor(
    readonly url: string,
    private readonly settings: QueueSettings,
    private readonly clock: () => number,
  ) {}

  async sendBatch(messages: readonly OutgoingMessage[]): Promise<void> {
    for (const message of messages) this.send(message);
  }

  send(message: OutgoingMessage): void {
    const now = this.clock();
    if (this.settings.fifo) {
      if (message.groupId === undefined || message.deduplicationId === undefined) throw new Error(`FIFO message ${message.id} needs a group and a deduplication id`);
      const first = this.firstSent.get(message.deduplicationId);
      if (first !== undefined && now - first < deduplicationWindowMs) return;
      this.firstSent.set(message.deduplicationId, now);
    }
    this.messages.push({
      messageId: `m${++this.nextId}`,
      body: message.body,
      groupId: message.groupId,
      deduplicationId: message.deduplicationId,
      sentAt: now,
      visibleAt: now + (message.delaySeconds ?? 0) * 1000,
      receiveCount: 0,
    });
  }

  /** What a receive could return now, oldest first. */
  available(): SimMessage[] {
    const now = this.clock();
    if (!this.settings.fifo) return this.messages.filter((message) => message.visibleAt <= now);
    const groups = new Set<string | undefined>();
    const heads: SimMessage[] = [];
    for (const message of this.messages) {
      if (groups.has(message.groupId)) continue;
      groups.add(message.groupId);
      if (message.visibleAt <= now) heads.push(message);
    }
    return heads;
  }

  /** Messages received and neither deleted nor visible again yet. */
  inFlight(): SimMessage[] {
    const now = this.clock();
    return this.messages.filter((message) => message.receiveCount > 0 && message.visibleAt > now);
  }

  /**
   * Receives `message` (whether or not it is visible: a standard queue may deliver twice). Returns
   * its receipt handle, or undefined when this receive moved it to the dead-letter queue.
   */
  take(message: SimMessage): string | undefined {
    message.receiveCount++;
    if (message.receiveCount > this.settings.maxReceiveCount) {
      this.remove(message);
      return undefined;
    }
    message.visibleAt = this.clock() + this.settings.visibilityTimeoutMs;
    return `${message.messageId}#${message.receiveCount}`;
  }

  /** Deletes the message received with `receiptHandle`, unless it was received again since. */
  delete(receiptHandle: string): void {
    const [messageId, receive] = receiptHandle.split('#');
    const message = this.messages.find((candidate) => candidate.messageId === messageId);
    if (message === undefined || String(message.receiveCount) !== receive) return;
    this.remove(message);
  }

  /** Its visibility timeout ran out: it can be received again now. */
  expire(message: SimMessage): void {
    message.visibleAt = Math.min(message.visibleAt, this.clock());
  }

  async receive(options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const received: ReceivedMessage[] = [];
    for (const message of this.available().slice(0, options.maxMessages ?? 1)) {
      const receiptHandle = this.take(message);
      if (receiptHandle !== undefined) received.push(receivedMessage(message, receiptHandle));
    }
    return received;
  }

  async deleteBatch(receiptHandles: readonly string[]): Promise<void> {
    for (const handle of receiptHandles) this.delete(handle);
  }

  async changeVisibility(receiptHandle: string, timeoutSeconds: number): Promise<void> {
    const message = this.messages.find((candidate) => candidate.messageId === receiptHandle.split('#')[0]);
    if (message !== undefined) message.visibleAt = this.clock() + timeoutSeconds * 1000;
  }

  private remove(message: SimMessage): void {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.messages.splice(index, 1);
  }
}

/** The message as ReceiveMessage returns it, with the system attributes Lambda's records carry. */
export function receivedMessage(message: SimMessage, receiptHandle: string): ReceivedMessage {
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt),
  };
  if (message.groupId !== undefined) attributes['MessageGroupId'] = message.groupId;
  if (message.deduplicationId !== undefined) attributes['MessageDeduplicationId'] = message.deduplicationId;
  return { messageId: message.messageId, receiptHandle, body: message.body, attributes };
}
