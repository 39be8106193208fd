/**
 * One seed's world for the fault campaign: the bucket (on the embedded stack, with its real
 * conditional writes), the events and jobs queues, the remote-write receiver and a clock, all driven
 * from this process. The real handlers (functions/*) run with dependencies built here per
 * invocation, as a fresh Lambda container would build them:
 *
 * - every storage call, job send and remote-write request goes through the scheduler (one turn at a
 *   time, in an order drawn from the seed) and may be hit by a fault: an S3 error before or after
 *   the call took effect, a conditional write that took effect but is reported as a 412 (what the
 *   SDK's own retry of a timed-out PutObject sees), an SQS error before or after the send;
 * - a write under segments/ notifies the events queue as S3 does — unless the notification is lost
 *   — and maybe twice;
 * - every invocation may be armed to die at one of its calls;
 * - time is the world's: the clock, every sleep of the pipeline (backoffs advance it), and the
 *   LastModified of every object, so that age-based decisions replay exactly.
 *
 * What was written is recorded (WriteLog) for the invariants.
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { ConditionalPutResult, MessageQueue, ObjectInfo, ObjectStore, OutgoingMessage, StoredObject } from '../../lib/aws/contract.js';
import { AwsAccessError, SendBatchError } from '../../lib/aws/errors.js';
import type { CompactorDeps } from '../../lib/compact/job.js';
import type { DeliveryDeps } from '../../lib/export/delivery.js';
import { ingestConfig } from '../../lib/ingest/config.js';
import type { IngestDeps, IngestRequest } from '../../lib/ingest/contract.js';
import { scheduledEvent } from '../../lib/local/scheduler.js';
import { toRecord } from '../../lib/local/runner.js';
import { silentLogger, type Logger } from '../../lib/log/logger.js';
import type { CasOptions } from '../../lib/metastore/cas.js';
import type { PlanLimits } from '../../lib/plan/limits.js';
import type { PlannerDeps } from '../../lib/plan/planner.js';
import { RemoteWriteClient } from '../../lib/remotewrite/client.js';
import { RulesSource, rulesSnapshotProvider } from '../../lib/rules/source.js';
import type { TickDeps } from '../../lib/tick/tick.js';
import { createCompactorHandler } from '../../functions/compactor.js';
import { createIngestHandler } from '../../functions/ingest.js';
import { createPlannerHandler } from '../../functions/planner.js';
import { createTickHandler } from '../../functions/tick.js';
import { lambdaEvent } from '../helpers/ingest-fixtures.js';
import { s3EventBody } from '../helpers/planner-fixtures.js';
import { interceptStore, type StoreCall } from '../helpers/store-intercept.js';
import { Dice } from './dice.js';
import { SimQueue, receivedMessage, type SimMessage } from './queues.js';
import { ChaosReceiver, type ReceiverFault } from './receiver.js';
import { Scheduler, type Invocation, type InvocationKind } from './scheduler.js';
import { WriteLog } from './write-log.js';

/** How often each fault is injected while faults are on. */
export interface FaultRates {
  /** Per invocation of ingest, the planner, the compactor and the tick: it dies at one of its calls. */
  crash: number;
  /** Per storage call. */
  storage: number;
  /** Per send to the jobs queue. */
  send: number;
  /** Per segment notification: never sent. */
  lostNotification: number;
  /** Per segment notification: sent twice. */
  duplicateNotification: number;
  /** Per remote-write request: a receiver fault (see receiver.ts). */
  receiver: number;
  /** Per event delivery: a message still being handled by a planner is delivered again (standard queues deliver at least once). */
  duplicateDelivery: number;
  /** Per acknowledged push: the client never saw the answer and sends the same bytes again. */
  clientRetry: number;
}

export interface WorldSettings {
  seed: number;
  /** The clock at the start. */
  startMs: number;
  /** Ingest's shard count. */
  shardCount: number;
  limits: PlanLimits;
  leaseMs: number;
  cleanupDelayMs: number;
  adoptAfterMs: number;
  /** The remote-write client's retry budget per request. */
  remoteWriteRetryMs: number;
  eventsVisibilityMs: number;
  jobsVisibilityMs: number;
  maxReceiveCount: number;
  rulesYaml: string;
  faults: FaultRates;
  /** The longest a crash point may lie in an invocation, in calls. */
  maxCrashCall: number;
  /** A real Prometheus' remote-write URL; the strict in-process receiver otherwise. */
  prometheusWriteUrl?: string;
  /** Pipeline logs (silent by default). */
  logger?: Logger;
}

export type IngestOutcome = { status: number; body: string } | { status: 'crashed' };

const tenantLabel = 'strata_tenant';
const region = 'us-east-1';

export class World {
  now: number;
  /** The timeouts of remote-write attempts, fired as the clock passes them. */
  private attemptTimers: Array<{ at: number; controller: AbortController }> = [];
  readonly scheduler = new Scheduler();
  readonly events: SimQueue;
  readonly jobs: SimQueue;
  readonly receiver: ChaosReceiver;
  readonly log = new WriteLog();
  readonly trace: string[] = [];
  readonly faultCounts = new Map<string, number>();
  readonly invocationCounts = new Map<InvocationKind, number>();
  /** Storage calls made through the scheduler. */
  storageCalls = 0;
  faultsOn = true;
  receiverDown = false;
  /** Where the schedule's choices come from (which call goes next, which message is delivered). */
  readonly schedule: Dice;
  private readonly faultDice: Dice;
  private readonly jitter: Dice;
  private readonly writtenAt = new Map<string, number>();
  /** Who received each message last. */
  private readonly holders = new Map<SimMessage, Invocation>();
  private readonly logger: Logger;
  /** The rules file, read once: every invocation's snapshot provider shares it, as warm containers would. */
  private readonly rulesSource: RulesSource;

  constructor(
    readonly settings: WorldSettings,
    /** The seed's bucket, with no faults and no turns: for the checks. */
    readonly store: ObjectStore,
  ) {
    this.now = settings.startMs;
    this.schedule = new Dice(settings.seed, 'schedule');
    this.faultDice = new Dice(settings.seed, 'faults');
    this.jitter = new Dice(settings.seed, 'jitter');
    this.logger = settings.logger ?? silentLogger;
    this.rulesSource = new RulesSource({ location: 'chaos-rules.yaml', read: async () => settings.rulesYaml, clock: this.clock, ttlMs: Infinity, logger: this.logger, reservedLabels: [tenantLabel] });
    this.events = new SimQueue('sim://events', { fifo: false, visibilityTimeoutMs: settings.eventsVisibilityMs, maxReceiveCount: settings.maxReceiveCount }, this.clock);
    this.jobs = new SimQueue('sim://jobs.fifo', { fifo: true, visibilityTimeoutMs: settings.jobsVisibilityMs, maxReceiveCount: settings.maxReceiveCount }, this.clock);
    this.receiver = new ChaosReceiver({
      ...(settings.prometheusWriteUrl === undefined ? {} : { upstream: settings.prometheusWriteUrl }),
      fault: () => this.receiverFault(),
    });
    this.scheduler.onCrash = (invocation, what, after) => this.fault(`crash-${invocation.kind}`, `${invocation.label} died ${after ? 'after' : 'before'} call ${invocation.calls}: ${what}`);
  }

  readonly clock = (): number => this.now;

  /** Every sleep of the pipeline (backoffs) lets the world's time pass, and returns at once. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.passTime(Math.max(0, Math.round(ms)));
  };

  advance(ms: number, why: string): void {
    this.passTime(ms);
    this.note(`clock +${(ms / 1000).toFixed(1)} s (${why})`);
  }

  /**
   * A remote-write attempt's timeout, on the world's clock. A request waiting for its turn while
   * the clock passes its timeout is aborted before it reaches the receiver, as a real one would
   * be: the lease's margin is measured on the same clock.
   */
  readonly timeoutSignal = (ms: number): AbortSignal => {
    const controller = new AbortController();
    this.attemptTimers.push({ at: this.now + ms, controller });
    return controller.signal;
  };

  private passTime(ms: number): void {
    this.now += ms;
    const due = this.attemptTimers.filter((timer) => timer.at <= this.now);
    if (due.length === 0) return;
    this.attemptTimers = this.attemptTimers.filter((timer) => timer.at > this.now);
    for (const { controller } of due) controller.abort(new DOMException('The operation was aborted due to timeout (world clock)', 'TimeoutError'));
  }

  note(text: string): void {
    this.trace.push(`${((this.now - this.settings.startMs) / 1000).toFixed(3).padStart(9)}s ${text.replaceAll(this.store.bucket, '<bucket>')}`);
  }

  fault(kind: string, detail: string): void {
    this.faultCounts.set(kind, (this.faultCounts.get(kind) ?? 0) + 1);
    this.note(`FAULT ${kind}: ${detail}`);
  }

  faultsOff(): void {
    this.faultsOn = false;
    if (this.receiverDown) this.setReceiverDown(false);
    this.note('faults off');
  }

  setReceiverDown(down: boolean): void {
    this.receiverDown = down;
    if (down) this.fault('receiver-outage', 'the receiver answers 503 until it is back');
    else this.note('receiver back');
  }

  /** Whether to inject a fault of this rate now (never once faults are off). */
  faultChance(rate: number): boolean {
    return this.faultsOn && this.faultDice.chance(rate);
  }

  /** Messages of `queue` received by an invocation that is still running. */
  heldByLive(queue: SimQueue): SimMessage[] {
    return queue.inFlight().filter((message) => {
      const holder = this.holders.get(message);
      return holder !== undefined && !holder.settled;
    });
  }

  /** The visibility timeout of a message runs out while its invocation still works on it. */
  expireMidJob(queue: SimQueue, message: SimMessage): void {
    const holder = this.holders.get(message);
    if (message.visibleAt > this.now) this.advance(message.visibleAt - this.now, 'until a visibility timeout runs out');
    queue.expire(message);
    this.fault('visibility-timeout-mid-job', `${message.messageId} (${queue === this.jobs ? jobLabel(message.body) : 'event'}) is visible again while ${holder?.label} still runs`);
  }

  /** Grants one waiting call, chosen by the schedule. */
  grant(): Promise<boolean> {
    return this.scheduler.grant((count) => this.schedule.int(count));
  }

  /** Runs every live invocation to its end. */
  drain(): Promise<void> {
    return this.scheduler.drain((count) => this.schedule.int(count));
  }

  // ---- invocations ----------------------------------------------------------------------------

  private invocation(kind: InvocationKind, label: string): Invocation {
    this.invocationCounts.set(kind, (this.invocationCounts.get(kind) ?? 0) + 1);
    const crashable = kind !== 'user' && this.faultsOn && this.faultDice.chance(this.settings.faults.crash);
    const crashPoint = crashable ? { call: this.faultDice.between(1, this.settings.maxCrashCall), after: this.faultDice.chance(0.5) } : undefined;
    const invocation = this.scheduler.newInvocation(kind, label, crashPoint);
    const concurrent = this.scheduler.liveInvocations.filter((other) => other.kind === kind).length;
    if (concurrent > 0 && kind !== 'ingest' && kind !== 'user') this.fault(`concurrent-${kind}`, `${invocation.label} starts while ${concurrent} other(s) run`);
    else this.note(`start ${invocation.label}`);
    return invocation;
  }

  /** Runs the invocation's body to completion in the background; `done` sees its result. */
  private start<T>(invocation: Invocation, body: () => Promise<T>, done: (result: T) => void): void {
    void this.scheduler.run(invocation, body).then(
      (result) => {
        if (invocation.dead) return;
        done(result);
      },
      (error: unknown) => {
        // A dead invocation's handler may throw anything on its way down; Lambda retries the batch.
        if (!invocation.dead) this.note(`${invocation.label} threw ${(error as Error).name}: ${(error as Error).message}`);
      },
    );
  }

  startIngest(request: IngestRequest, label: string, done: (outcome: IngestOutcome) => void): void {
    const invocation = this.invocation('ingest', label);
    const deps: IngestDeps = { store: this.storeFor(invocation), clock: this.clock, logger: this.logger, config: ingestConfig({ shardCount: this.settings.shardCount }) };
    const handler = createIngestHandler({ deps });
    void this.scheduler.run(invocation, () => handler(lambdaEvent(request))).then(
      (result) => {
        const outcome: IngestOutcome = invocation.dead ? { status: 'crashed' } : { status: result.statusCode ?? 0, body: String(result.body ?? '') };
        done(outcome);
      },
      () => done({ status: 'crashed' }),
    );
  }

  /** A user's upload of a segment file, as `strata put` does it (create-if-absent). */
  startUserPut(key: string, bytes: Uint8Array, done: (ok: boolean) => void): void {
    const invocation = this.invocation('user', key.split('/').slice(1, 3).join('/'));
    const store = this.storeFor(invocation);
    void this.scheduler.run(invocation, () => store.putIfAbsent(key, bytes, { contentType: 'application/vnd.strata.segment' })).then(
      (result) => done(result.outcome === 'written' || result.outcome === 'precondition-failed'),
      () => done(false),
    );
  }

  /** Delivers event messages to a planner invocation (the messages are received now). */
  startPlanner(messages: readonly SimMessage[]): void {
    const received = this.receive(this.events, messages);
    if (received.length === 0) return;
    const invocation = this.invocation('planner', `${received.length} event(s)`);
    for (const message of messages) this.holders.set(message, invocation);
    const handler = createPlannerHandler({ deps: this.plannerDeps(invocation) });
    const event = { Records: received.map(({ record }) => record) };
    this.start(invocation, () => handler(event), (response) => this.settleBatch(this.events, received, response));
  }

  /** Delivers one job message to a compactor invocation (batch size 1, as deployed). */
  startCompactor(message: SimMessage): void {
    const received = this.receive(this.jobs, [message]);
    if (received.length === 0) return;
    const invocation = this.invocation('compactor', jobLabel(message.body));
    this.holders.set(message, invocation);
    const handler = createCompactorHandler({ deps: this.compactorDeps(invocation) });
    const event = { Records: received.map(({ record }) => record) };
    this.start(invocation, () => handler(event), (response) => this.settleBatch(this.jobs, received, response));
  }

  startTick(): void {
    const invocation = this.invocation('tick', '');
    const handler = createTickHandler({ deps: this.tickDeps(invocation) });
    this.start(
      invocation,
      () => handler(scheduledEvent('strata-chaos-tick', region, new Date(this.now))).catch((error: unknown) => ({ failed: (error as Error).message })),
      (report) => {
        if ('failed' in report) this.note(`${invocation.label}: ${report.failed}`);
      },
    );
  }

  /** Receives the messages now; those that went to the dead-letter list are left out. */
  private receive(queue: SimQueue, messages: readonly SimMessage[]): Array<{ record: SQSRecord; receiptHandle: string }> {
    const received: Array<{ record: SQSRecord; receiptHandle: string }> = [];
    for (const message of messages) {
      const receiptHandle = queue.take(message);
      if (receiptHandle === undefined) {
        this.note(`${message.messageId} moved to the dead-letter queue of ${queue.url} after ${message.receiveCount - 1} receives`);
        continue;
      }
      const { messageId, body, attributes } = receivedMessage(message, receiptHandle);
      received.push({ record: toRecord({ MessageId: messageId, ReceiptHandle: receiptHandle, Body: body, Attributes: attributes }, `arn:aws:sqs:${region}:000000000000:${queue.url.slice(6)}`, region), receiptHandle });
    }
    return received;
  }

  /** What Lambda's event source does with the handler's answer: delete what did not fail. */
  private settleBatch(queue: SimQueue, received: ReadonlyArray<{ record: SQSRecord; receiptHandle: string }>, response: SQSBatchResponse): void {
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const { record, receiptHandle } of received) if (!failed.has(record.messageId)) queue.delete(receiptHandle);
  }

  // ---- dependencies, per invocation ----------------------------------------------------------

  private cas(): CasOptions {
    return { sleep: this.sleep, random: () => this.jitter.random() };
  }

  private rules(store: ObjectStore) {
    return rulesSnapshotProvider({ rules: this.rulesSource, store });
  }

  private delivery(invocation: Invocation): Omit<DeliveryDeps, 'store' | 'logger'> {
    const client = new RemoteWriteClient({
      url: 'http://chaos-receiver.invalid/api/v1/write',
      fetch: (url, init) =>
        this.scheduler.turn(invocation, 'remote write', () => {
          if (init.signal?.aborted === true) {
            this.note(`${invocation.label} remote write aborted: the clock passed its timeout before it was sent`);
            throw init.signal.reason;
          }
          return this.receiver.fetch(url, init);
        }),
      clock: this.clock,
      sleep: this.sleep,
      timeoutSignal: this.timeoutSignal,
      random: () => this.jitter.random(),
      retry: { maxRetryTimeMs: this.settings.remoteWriteRetryMs },
      logger: this.logger,
    });
    return { client, tenantRouting: { mode: 'label', label: tenantLabel }, selfMetrics: true, clock: this.clock, holder: invocation.label };
  }

  /** What the planner, the compactor and the tick all take. */
  private commonDeps(invocation: Invocation): PlannerDeps & { store: ObjectStore; jobs: MessageQueue } {
    const store = this.storeFor(invocation);
    return { store, jobs: this.jobsFor(invocation), logger: this.logger, clock: this.clock, limits: this.settings.limits, rules: this.rules(store), cas: this.cas() };
  }

  private plannerDeps(invocation: Invocation): PlannerDeps {
    return this.commonDeps(invocation);
  }

  private compactorDeps(invocation: Invocation): CompactorDeps {
    return { ...this.commonDeps(invocation), cleanupDelayMs: this.settings.cleanupDelayMs, delivery: this.delivery(invocation) };
  }

  private tickDeps(invocation: Invocation): TickDeps {
    const { leaseMs, cleanupDelayMs, adoptAfterMs } = this.settings;
    return { ...this.commonDeps(invocation), leaseMs, cleanupDelayMs, adoptAfterMs, delivery: this.delivery(invocation) };
  }

  // ---- storage, queue and receiver, with faults --------------------------------------------------

  storeFor(invocation: Invocation): ObjectStore {
    return interceptStore(this.store, (call, run) => this.scheduler.turn(invocation, describeCall(call), () => this.storageCall(invocation, call, run)));
  }

  private async storageCall(invocation: Invocation, call: StoreCall, run: () => Promise<unknown>): Promise<unknown> {
    this.storageCalls++;
    const fault = this.storageFault(call);
    if (fault !== undefined) this.fault(fault, `${invocation.label}: ${describeCall(call)}`);
    if (fault === 's3-error-before') throw injectedS3Error(this.store.bucket, call);
    if (call.op === 'putIfAbsent') this.log.attempt(call.key, call.body);
    const result = await run();
    this.record(call, result);
    if (fault === 's3-error-after') throw injectedS3Error(this.store.bucket, call);
    if (fault === 's3-write-reported-412') return { outcome: 'precondition-failed' } satisfies ConditionalPutResult;
    return this.withWorldTime(call, result);
  }

  private storageFault(call: StoreCall): 's3-error-before' | 's3-error-after' | 's3-write-reported-412' | undefined {
    if (!this.faultsOn || !this.faultDice.chance(this.settings.faults.storage)) return undefined;
    switch (call.op) {
      case 'get':
      case 'head':
      case 'getRange':
      case 'list':
        return 's3-error-before';
      case 'putIfAbsent':
      case 'putIfMatch':
        return this.faultDice.pick(['s3-error-before', 's3-error-after', 's3-write-reported-412'] as const);
      default:
        return this.faultDice.pick(['s3-error-before', 's3-error-after'] as const);
    }
  }

  /** Bookkeeping of a call that took effect: object times, the write log, segment notifications. */
  private record(call: StoreCall, result: unknown): void {
    switch (call.op) {
      case 'put':
      case 'putIfAbsent':
      case 'putIfMatch':
      case 'completeMultipartUpload':
        if ((call.op === 'putIfAbsent' || call.op === 'putIfMatch') && (result as ConditionalPutResult).outcome !== 'written') return;
        this.writtenAt.set(call.key, this.now);
        this.log.write(call.key, call.body);
        this.notify(call.key, call.body.length, 'ObjectCreated:Put');
        return;
      case 'copy':
        this.writtenAt.set(call.to, this.now);
        this.log.copied(call.from, call.to);
        this.notify(call.to, undefined, 'ObjectCreated:Copy');
        return;
      case 'deleteMany':
        for (const key of call.keys) this.writtenAt.delete(key);
        return;
      default:
        return;
    }
  }

  /** S3's notification of a new object under segments/ (the bucket's filter: prefix segments/, suffix .seg). */
  private notify(key: string, size: number | undefined, eventName: string): void {
    if (!key.startsWith('segments/') || !key.endsWith('.seg')) return;
    if (this.faultsOn && this.faultDice.chance(this.settings.faults.lostNotification)) {
      this.fault('lost-notification', key);
      return;
    }
    const body = s3EventBody([{ key, bucket: this.store.bucket, eventName, eventTime: new Date(this.now).toISOString(), ...(size === undefined ? {} : { size }) }]);
    this.events.send({ id: 'event', body });
    if (this.faultsOn && this.faultDice.chance(this.settings.faults.duplicateNotification)) {
      this.fault('duplicate-notification', key);
      this.events.send({ id: 'event', body });
    }
  }

  /** LastModified as the world's clock saw the write, so that ages do not depend on the machine's speed. */
  private withWorldTime(call: StoreCall, result: unknown): unknown {
    const stamp = <T extends { key: string; lastModified?: Date }>(object: T): T => ({ ...object, lastModified: new Date(this.writtenAt.get(object.key) ?? this.settings.startMs) });
    if ((call.op === 'get' || call.op === 'head') && result !== undefined) return stamp(result as StoredObject | ObjectInfo);
    if (call.op === 'list') return (result as ObjectInfo[]).map(stamp);
    return result;
  }

  jobsFor(invocation: Invocation): MessageQueue {
    const jobs = this.jobs;
    return {
      url: jobs.url,
      sendBatch: (messages) =>
        this.scheduler.turn(invocation, `send ${messages.map((message) => jobLabel(message.body)).join(', ')}`, async () => {
          const fault = this.faultsOn && this.faultDice.chance(this.settings.faults.send) ? this.faultDice.pick(['sqs-error-before', 'sqs-error-after'] as const) : undefined;
          if (fault !== undefined) this.fault(fault, `${invocation.label}: send ${messages.length} job(s)`);
          if (fault === 'sqs-error-before') throw injectedSqsError(jobs.url, messages);
          await jobs.sendBatch(messages);
          if (fault === 'sqs-error-after') throw injectedSqsError(jobs.url, messages);
        }),
      receive: (options) => jobs.receive(options),
      deleteBatch: (handles) => jobs.deleteBatch(handles),
      changeVisibility: (handle, seconds) => jobs.changeVisibility(handle, seconds),
    };
  }

  private receiverFault(): ReceiverFault | undefined {
    if (this.receiverDown) return 'receiver-outage';
    if (!this.faultsOn || !this.faultDice.chance(this.settings.faults.receiver)) return undefined;
    const fault = this.faultDice.pick(['receiver-503', 'receiver-429', 'receiver-timeout', 'receiver-500-after-store', 'receiver-timeout-after-store'] as const);
    this.fault(fault, 'remote write');
    return fault;
  }
}

/** "t0/2#5 L1" from a job message body: tenant/shard#sequence and level, without the generation's random hash. */
export function jobLabel(body: string): string {
  try {
    const { tenant, shard, jobId } = JSON.parse(body) as { tenant: string; shard: number; jobId: string };
    const match = /^j0*(\d+)-L(\d)-/.exec(jobId);
    return match === null ? `${tenant}/${shard} ${jobId}` : `${tenant}/${shard}#${match[1]} L${match[2]}`;
  } catch {
    return body.slice(0, 40);
  }
}

/** A call as the trace shows it. Keys of job outputs lose their random generation hash. */
export function describeCall(call: StoreCall): string {
  const short = (key: string) => key.replace(/j0*(\d+)-L(\d)-[0-9a-f]{16}/g, 'j$1-L$2');
  switch (call.op) {
    case 'list':
      return `list ${call.prefix}`;
    case 'deleteMany':
      return `delete ${call.keys.length === 1 ? short(call.keys[0]!) : `${call.keys.length} objects (${short(call.keys[0] ?? '')}, …)`}`;
    case 'copy':
      return `copy ${short(call.from)} → ${short(call.to)}`;
    default:
      return `${call.op} ${short(call.key)}`;
  }
}

function injectedS3Error(bucket: string, call: StoreCall): AwsAccessError {
  return new AwsAccessError(`${call.op} s3://${bucket}/${describeCall(call)} failed: SlowDown (HTTP 503): injected by the chaos campaign`, { operation: call.op, bucket });
}

function injectedSqsError(queueUrl: string, messages: readonly OutgoingMessage[]): SendBatchError {
  return new SendBatchError(queueUrl, messages.map((message) => ({ id: message.id, code: 'ServiceUnavailable', message: 'injected by the chaos campaign', senderFault: false })));
}
