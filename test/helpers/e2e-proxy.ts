/**
 * A remote-write proxy in front of a real receiver, for the end-to-end export tests. Every write is
 * decoded (snappy block + WriteRequest, with the generated code, independently of lib/remotewrite)
 * and attributed to its tenant (the `strata_tenant` label: the pipeline runs with
 * STRATA_REMOTE_WRITE_TENANT_MODE=label), so faults can be set per tenant and tests running at the
 * same time do not disturb each other:
 *
 * - `500-after-forward`: the write is forwarded and reaches the receiver, then the sender is told 500
 *   (so it retries a write that already landed);
 * - `down-503`: answered 503 without forwarding;
 * - `down-reset`: the connection is destroyed without an answer (a network error for the sender).
 *
 * Every exchange is kept: tenant, body hash, the receiver's status (when forwarded), what the sender
 * was answered. The proxy also keeps the receiver's view of every series (samples of writes the
 * receiver accepted, test/helpers/receiver-view.ts) and records any sample that goes back in time or
 * repeats a timestamp with another value — what DESIGN.md invariant 4 forbids, checked on the wire.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReceiverView, decodeWrite, labelOfWrite, type WireViolation } from './receiver-view.js';

export type ProxyFault = { kind: '500-after-forward'; remaining: number } | { kind: 'down-503' } | { kind: 'down-reset' };

export interface Exchange {
  at: number;
  tenant: string;
  bodyHash: string;
  series: number;
  /** The receiver's status; undefined when the write was not forwarded. */
  upstream?: number;
  /** The receiver's answer body when it was not 2xx. */
  upstreamBody?: string;
  /** What the sender got. */
  answered: number | 'reset';
  fault?: ProxyFault['kind'];
}

export class RemoteWriteProxy {
  readonly exchanges: Exchange[] = [];
  private readonly faults = new Map<string, ProxyFault>();
  private readonly view = new ReceiverView();
  private server: Server | undefined;
  url = '';

  constructor(private readonly upstreamUrl: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.handle(Buffer.concat(chunks), request.headers as Record<string, string | string[] | undefined>)
          .then((answer) => {
            if (answer === 'reset') {
              request.socket.destroy();
              return;
            }
            response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(answer.body);
          })
          .catch((error: unknown) => {
            response.writeHead(599).end(String(error));
          });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/write`;
  }

  async stop(): Promise<void> {
    if (this.server === undefined) return;
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server!.close(resolve));
  }

  get violations(): readonly WireViolation[] {
    return this.view.violations;
  }

  setFault(tenant: string, fault: ProxyFault | undefined): void {
    if (fault === undefined) this.faults.delete(tenant);
    else this.faults.set(tenant, fault);
  }

  of(tenant: string): Exchange[] {
    return this.exchanges.filter((exchange) => exchange.tenant === tenant);
  }

  private async handle(body: Buffer, headers: Record<string, string | string[] | undefined>): Promise<{ status: number; body: string } | 'reset'> {
    const series = decodeWrite(new Uint8Array(body));
    const tenant = labelOfWrite(series, 'strata_tenant');
    const exchange: Exchange = {
      at: Date.now(),
      tenant,
      bodyHash: createHash('sha256').update(body).digest('hex').slice(0, 16),
      series: series.length,
      answered: 0,
    };
    this.exchanges.push(exchange);
    const fault = this.faults.get(tenant);
    if (fault?.kind === 'down-503') {
      exchange.fault = fault.kind;
      exchange.answered = 503;
      return { status: 503, body: 'receiver down (test proxy)' };
    }
    if (fault?.kind === 'down-reset') {
      exchange.fault = fault.kind;
      exchange.answered = 'reset';
      return 'reset';
    }

    const forwarded = Object.fromEntries(
      Object.entries(headers).filter(([name, value]) => typeof value === 'string' && !['host', 'content-length', 'connection', 'transfer-encoding'].includes(name)),
    ) as Record<string, string>;
    const response = await fetch(this.upstreamUrl, { method: 'POST', headers: forwarded, body });
    const text = await response.text();
    exchange.upstream = response.status;
    if (!response.ok) exchange.upstreamBody = text.slice(0, 500);
    if (response.ok) this.view.accept(tenant, series);

    if (fault?.kind === '500-after-forward' && fault.remaining > 0) {
      fault.remaining--;
      exchange.fault = fault.kind;
      exchange.answered = 500;
      return { status: 500, body: 'the write landed, but the sender is told otherwise (test proxy)' };
    }
    exchange.answered = response.status;
    return { status: response.status, body: text };
  }
}
