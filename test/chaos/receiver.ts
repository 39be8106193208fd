/**
 * The remote-write endpoint of the fault campaign, as a fetch function for lib/remotewrite's client.
 *
 * Strict (the fast run): it answers as Prometheus 2.42 without an out-of-order window does — a
 * write holding a sample older than its series' latest, or the latest timestamp with another value,
 * is a 400 and nothing of it is stored (test/helpers/receiver-view.ts) — and every such sample is a
 * violation of DESIGN.md invariant 4. With `upstream` (the full run) each write is forwarded to a
 * real Prometheus 2.42, whose answer is the receiver's; anything but a 2xx from it is a violation.
 *
 * Faults, decided per request by the world: an outage or a 5xx before anything is stored, a 429,
 * a timeout before storing, and — the nasty ones — a 500 or a timeout after the write was stored.
 */
import type { FetchFunction } from '../../lib/remotewrite/client.js';
import { ReceiverView, decodeWrite, labelOfWrite } from '../helpers/receiver-view.js';

export type ReceiverFault = 'receiver-outage' | 'receiver-503' | 'receiver-429' | 'receiver-timeout' | 'receiver-500-after-store' | 'receiver-timeout-after-store';

export interface ReceiverOptions {
  /** A real Prometheus' remote-write URL; strict in-process checking when absent. */
  upstream?: string;
  /** The fault for the next request, if any. */
  fault: () => ReceiverFault | undefined;
}

export class ChaosReceiver {
  readonly view = new ReceiverView();
  /** Requests received, whatever became of them. */
  requests = 0;

  constructor(private readonly options: ReceiverOptions) {}

  readonly fetch: FetchFunction = async (_url, init) => {
    this.requests++;
    const body = new Uint8Array(init.body as Uint8Array);
    const series = decodeWrite(body);
    const tenant = labelOfWrite(series, 'strata_tenant');
    const fault = this.options.fault();
    if (fault === 'receiver-outage' || fault === 'receiver-503') return new Response('unavailable (chaos receiver)', { status: 503 });
    if (fault === 'receiver-429') return new Response('too many requests (chaos receiver)', { status: 429, headers: { 'retry-after': '1' } });
    if (fault === 'receiver-timeout') throw timeout();

    const conflicts = this.view.conflicts(tenant, series);
    let status: number;
    let text: string;
    if (this.options.upstream !== undefined) {
      const response = await fetch(this.options.upstream, { method: 'POST', headers: init.headers ?? {}, body });
      status = response.status;
      text = await response.text();
      if (status >= 300) this.view.violations.push({ tenant, series: '(whole write)', problem: `Prometheus answered ${status}: ${text.trim().slice(0, 300)}` });
    } else {
      status = conflicts.length > 0 ? 400 : 204;
      text = conflicts.map((conflict) => `${conflict.series}: ${conflict.problem}`).join('\n');
    }
    // Violations whether the write was refused or (a real Prometheus) taken all the same.
    this.view.violations.push(...conflicts);
    if (status < 300) this.view.record(series);
    if (status < 300 && fault === 'receiver-500-after-store') return new Response('stored, but the sender is told otherwise (chaos receiver)', { status: 500 });
    if (status < 300 && fault === 'receiver-timeout-after-store') throw timeout();
    return new Response(status === 204 ? null : text, { status });
  };
}

function timeout(): Error {
  const error = new Error('The operation was aborted due to timeout (chaos receiver)');
  error.name = 'TimeoutError';
  return error;
}
