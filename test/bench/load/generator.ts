/**
 * The load generator, a child process of load.bench.ts (IPC): sends the workload's remote-write
 * requests on their schedule, over keep-alive connections, at most `concurrency` at a time, and
 * retries as Prometheus does (network errors, 5xx and 429 with capped exponential backoff; any
 * other 4xx is a rejection, not retried). Reports every second what was acknowledged, and at the
 * end the index of every acknowledged request, for the verifier.
 */
import { Agent, request as httpRequest } from 'node:http';
import { leaveParent, serveParent, tellParent } from './ipc.js';
import { RequestEncoder, Workload, type RequestSpec, type WorkloadSettings } from './workload.js';

export interface GeneratorStart {
  type: 'start';
  settings: WorkloadSettings;
  url: string;
  /** Requests due before this many ms after the start are sent. */
  durationMs: number;
  concurrency: number;
}

export interface GeneratorProgress {
  type: 'progress';
  at: number;
  ackedRequests: number;
  ackedSamples: number;
  /** Attempts answered with a retryable failure (or none). */
  retries: number;
  rejected: number;
  inFlight: number;
  /** How late the most late request of this second was sent, ms (waiting for a free connection). */
  maxLateMs: number;
  /** Client-side latency of the requests acknowledged this second, ms. */
  latenciesMs: number[];
}

export interface GeneratorDone {
  type: 'done';
  acked: number[];
  scheduled: number;
  rejected: Array<{ index: number; status: number; body: string }>;
  unacknowledged: number[];
}

export type GeneratorMessage = GeneratorProgress | GeneratorDone;

const maxRetryMs = 120_000;

serveParent('load generator', run);

async function run(start: GeneratorStart): Promise<void> {
  const workload = new Workload(start.settings);
  const encoder = new RequestEncoder(workload);
  const agent = new Agent({ keepAlive: true, maxSockets: start.concurrency });
  const acked: number[] = [];
  const rejected: GeneratorDone['rejected'] = [];
  const unacknowledged: number[] = [];
  let second = { ackedRequests: 0, ackedSamples: 0, retries: 0, rejected: 0, maxLateMs: 0, latenciesMs: [] as number[] };
  let inFlight = 0;
  const report = setInterval(() => {
    send({ type: 'progress', at: Date.now(), inFlight, ...second });
    second = { ackedRequests: 0, ackedSamples: 0, retries: 0, rejected: 0, maxLateMs: 0, latenciesMs: [] };
  }, 1000);

  const slots: Array<() => void> = [];
  const freeSlot = () => (inFlight < start.concurrency ? Promise.resolve() : new Promise<void>((resolve) => slots.push(resolve)));
  const sending: Array<Promise<void>> = [];

  const deliver = async (spec: RequestSpec): Promise<void> => {
    const body = encoder.body(spec);
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const answer = await post(start.url, agent, spec.tenant, body).catch((error: Error) => ({ status: 0, body: error.message }));
      if (answer.status >= 200 && answer.status < 300) {
        acked.push(spec.index);
        second.ackedRequests++;
        second.ackedSamples += start.settings.seriesPerRequest;
        second.latenciesMs.push(performance.now() - started);
        return;
      }
      if (answer.status !== 0 && answer.status !== 429 && answer.status < 500) {
        second.rejected++;
        rejected.push({ index: spec.index, status: answer.status, body: answer.body.slice(0, 300) });
        return;
      }
      second.retries++;
      if (performance.now() - started > maxRetryMs) {
        unacknowledged.push(spec.index);
        return;
      }
      await sleep(Math.min(5000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
    }
  };

  const startedAt = start.settings.startMs;
  let index = 0;
  for (;;) {
    const spec = workload.request(index);
    if (spec.dueMs >= start.durationMs) break;
    const wait = startedAt + spec.dueMs - Date.now();
    if (wait > 0) await sleep(wait);
    await freeSlot();
    second.maxLateMs = Math.max(second.maxLateMs, Date.now() - (startedAt + spec.dueMs));
    inFlight++;
    const promise = deliver(spec).finally(() => {
      inFlight--;
      slots.shift()?.();
    });
    sending.push(promise);
    index++;
  }
  await Promise.all(sending);
  clearInterval(report);
  send({ type: 'progress', at: Date.now(), inFlight, ...second });
  agent.destroy();
  send({ type: 'done', acked, scheduled: index, rejected, unacknowledged });
  leaveParent();
}

function post(url: string, agent: Agent, tenant: string, body: Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${url}/api/v1/push`,
      {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: {
          'content-type': 'application/x-protobuf',
          'content-encoding': 'snappy',
          'x-prometheus-remote-write-version': '0.1.0',
          'user-agent': 'strata-load-bench',
          'x-scope-orgid': tenant,
          'content-length': body.length,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        response.once('error', reject);
      },
    );
    request.once('timeout', () => request.destroy(new Error('request timed out after 30 s')));
    request.once('error', reject);
    request.end(body);
  });
}

function send(message: GeneratorMessage): void {
  tellParent(message);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
