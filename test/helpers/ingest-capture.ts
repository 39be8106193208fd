/**
 * A recording HTTP proxy for the ingest integration tests: every request a real client sends is
 * kept byte for byte (method, path, query, headers, body) and forwarded unchanged to the ingest
 * server, whose answer is recorded and passed back. The test then decodes the captured bodies
 * independently and compares them with what the segments hold.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  status: number;
}

export interface CaptureProxy {
  url: string;
  captured: CapturedRequest[];
  stop(): Promise<void>;
}

export async function startCaptureProxy(target: string): Promise<CaptureProxy> {
  const captured: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const forward = httpRequest(new URL(req.url ?? '/', target), { method: req.method, headers: { ...headers, 'content-length': String(body.length) } }, (response) => {
        const answer: Buffer[] = [];
        response.on('data', (chunk: Buffer) => answer.push(chunk));
        response.on('end', () => {
          captured.push({ method: req.method ?? '', url: req.url ?? '', headers, body, status: response.statusCode ?? 0 });
          res.writeHead(response.statusCode ?? 502, response.headers).end(Buffer.concat(answer));
        });
      });
      forward.on('error', (error) => res.writeHead(502).end(String(error)));
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    captured,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
