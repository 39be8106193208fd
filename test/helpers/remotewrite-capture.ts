/**
 * A capture HTTP server for remote-write tests (node:http on 127.0.0.1, a free port): records every
 * request and answers from a script — a status with headers and body, or a dropped connection —
 * then 204 once the script is used up. Also a fake clock whose sleep advances it.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeWriteRequestBody } from '../../lib/remotewrite/encode.js';

export interface CapturedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body?: string } | 'drop';

export interface CaptureServer {
  url: string;
  requests: CapturedRequest[];
  /** Answers for the next requests, in order. */
  script: ScriptedAnswer[];
  close(): Promise<void>;
}

export async function startCaptureServer(path = '/api/v1/write'): Promise<CaptureServer> {
  const requests: CapturedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: new Uint8Array(Buffer.concat(chunks)) });
      const answer = script.shift() ?? { status: 204 };
      if (answer === 'drop') {
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, answer.headers ?? {});
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    script,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The samples of a captured request as `labels-string → [timestamp, value][]`. */
export function capturedSamples(request: CapturedRequest): Map<string, Array<[number, number]>> {
  const decoded = decodeWriteRequestBody(request.body);
  const out = new Map<string, Array<[number, number]>>();
  for (const series of decoded.timeseries) {
    const key = (series.labels ?? []).map((l) => `${l.name}=${l.value}`).join(',');
    out.set(key, (series.samples ?? []).map((s) => [Number(s.timestamp ?? 0), s.value ?? 0]));
  }
  return out;
}

export function fakeClock(start = 1_700_000_000_000) {
  const state = { now: start, waits: [] as number[] };
  return {
    state,
    clock: () => state.now,
    sleep: async (ms: number) => {
      state.waits.push(ms);
      state.now += ms;
    },
  };
}
