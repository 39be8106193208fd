/**
 * S3Direct's HTTP/1.1 client (lib/aws/http1.ts) against a scripted server on a local socket: how
 * answers are delimited however their bytes are split, which connections are reused, and how
 * lost connections, silence and bytes that are not HTTP fail.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { Http1Pool, Http1ProtocolError } from '../../lib/aws/http1.js';

/**
 * A server that answers each request (read up to the end of its head and its Content-Length body)
 * with `answer(request, connection)`; over TLS with the localhost certificate when `tls` is set.
 */
async function scriptedServer(answer: (head: string, connection: number, socket: Socket) => void, tls = false): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const onConnection = (socket: Socket) => {
    const connection = ++connections;
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = pending.toString('latin1', 0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.subarray(end + 4 + length);
        answer(head, connection, socket);
      }
    });
    socket.on('error', () => {});
  };
  const server = tls ? createTlsServer({ key: readFileSync(certificate.key), cert: readFileSync(certificate.cert) }, onConnection) : createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections };
}

/** A self-signed certificate for DNS:localhost, valid until 2126 (made with openssl req -x509, test use only). */
const certificate = {
  key: new URL('../fixtures/tls/localhost.key', import.meta.url).pathname,
  cert: new URL('../fixtures/tls/localhost.crt', import.meta.url).pathname,
};

/** Runs an ES module's source in a child process (killed after 30 s) and returns what it printed. */
async function runModule(source: string, env: Record<string, string> = {}): Promise<string> {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return stdout;
}

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

async function poolFor(answer: Parameters<typeof scriptedServer>[0], timeoutMs = 2000) {
  const scripted = await scriptedServer(answer);
  servers.push(scripted.server);
  const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: scripted.port }, timeoutMs);
  return { pool, connections: scripted.connections };
}

const get = { method: 'GET', path: '/b/k', headers: { host: 'localhost' } };

describe('Http1Pool', () => {
  test('chunked and Content-Length bodies come out whole however the answer is split (property)', async () => {
    let script: Buffer[] = [];
    const { pool } = await poolFor((_head, _connection, socket) => {
      const parts = script;
      void (async () => {
        for (const part of parts) {
          socket.write(part);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
    });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (body, chunked, cuts) => {
        let answer: Buffer;
        if (chunked) {
          const half = Math.floor(body.length / 2);
          const pieces = [body.subarray(0, half), body.subarray(half)].filter((piece) => piece.length > 0);
          answer = Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: "e"\r\n\r\n'),
            ...pieces.flatMap((piece) => [Buffer.from(`${piece.length.toString(16)};ext=1\r\n`), piece, Buffer.from('\r\n')]),
            Buffer.from('0\r\nx-trailer: t\r\n\r\n'),
          ]);
        } else {
          answer = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nETag: "e"\r\n\r\n`), body]);
        }
        const points = [...new Set(cuts.map((cut) => cut % (answer.length + 1)))].sort((a, b) => a - b);
        script = [0, ...points].map((from, i) => answer.subarray(from, [...points, answer.length][i])).filter((part) => part.length > 0);
        const result = await pool.request(get);
        assert.equal(result.status, 200);
        assert.equal(result.headers['etag'], '"e"');
        assert.deepEqual(new Uint8Array(result.body), body);
      }),
      { numRuns: 150 },
    );
    pool.destroy();
  });

  test('connections are reused, except after Connection: close; HEAD reads no body; 100 Continue is skipped; a body is sent with its length', async () => {
    const { pool, connections } = await poolFor((head, _connection, socket) => {
      if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
      else if (head.startsWith('PUT')) socket.write(/\r\ncontent-length: 5(\r|$)/.test(head) ? 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\n\r\n');
      else if (head.includes('/close')) socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
      else socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
    });
    assert.equal((await pool.request({ ...get, method: 'HEAD' })).headers['content-length'], '1234');
    assert.equal((await pool.request({ ...get, method: 'PUT', body: Buffer.from('hello') })).status, 200, 'the body is framed by its length');
    assert.throws(() => pool.request({ ...get, method: 'PUT', headers: { host: 'x', 'content-length': '5' }, body: Buffer.from('hello') }), TypeError);
    assert.equal((await pool.request(get)).status, 204);
    assert.equal(connections(), 1, 'the HEAD connection was reused');
    assert.equal((await pool.request({ ...get, path: '/close' })).body.toString(), 'ok');
    assert.equal((await pool.request(get)).status, 204);
    assert.equal(connections(), 2, 'a new connection after Connection: close');
    pool.destroy();
  });

  test('a body without length runs to the end of the connection', async () => {
    const { pool } = await poolFor((_head, _connection, socket) => socket.end('HTTP/1.1 500 Internal Error\r\n\r\n<Error><Code>InternalError</Code></Error>'));
    const result = await pool.request(get);
    assert.equal(result.status, 500);
    assert.equal(result.body.toString(), '<Error><Code>InternalError</Code></Error>');
    pool.destroy();
  });

  test('a connection the server closed while idle is replaced, and the request succeeds', async () => {
    const { pool, connections } = await poolFor((_head, connection, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${connection}`);
      if (connection === 1) setTimeout(() => socket.end(), 10);
    });
    assert.equal((await pool.request(get)).body.toString(), '1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await pool.request(get)).body.toString(), '2');
    assert.equal(connections(), 2);
    pool.destroy();
  });

  test('a connection lost mid-answer is ECONNRESET, silence is ETIMEDOUT, bytes that are not HTTP a protocol error', async () => {
    const { pool } = await poolFor((head, _connection, socket) => {
      if (head.includes('/lost')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort');
      else if (head.includes('/garbage')) socket.write('SSH-2.0-OpenSSH\r\n\r\n');
      // /silent: no answer
    }, 100);
    await assert.rejects(pool.request({ ...get, path: '/lost' }), (error: unknown) => (error as { code?: string }).code === 'ECONNRESET');
    await assert.rejects(pool.request({ ...get, path: '/silent' }), (error: unknown) => (error as { code?: string }).code === 'ETIMEDOUT');
    await assert.rejects(pool.request({ ...get, path: '/garbage' }), Http1ProtocolError);
    pool.destroy();
  });

  test('a header value with a line break is refused before anything is sent', async () => {
    const { pool, connections } = await poolFor(() => assert.fail('nothing should arrive'));
    assert.throws(() => pool.request({ ...get, headers: { host: 'x', 'x-amz-meta-a': 'b\r\nx-injected: 1' } }), TypeError);
    assert.equal(connections(), 0);
    pool.destroy();
  });

  test('idle connections do not keep the process alive', async () => {
    const { port } = await scriptedServer((_head, _connection, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')).then((scripted) => {
      servers.push(scripted.server);
      return scripted;
    });
    const script = `import { Http1Pool } from ${JSON.stringify(new URL('../../lib/aws/http1.ts', import.meta.url).href)};
      const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: ${port} }, 60000);
      const answer = await pool.request({ method: 'GET', path: '/', headers: { host: 'x' } });
      console.log(answer.status);`;
    // The server stays up and keeps the connection open: only an unreferenced socket lets the child
    // exit before the 60 s socket timeout; it is killed (and the test fails) after 30 s.
    const stdout = await runModule(script);
    assert.equal(stdout.trim(), '200');
  });

  test('over TLS: the certificate is checked against the host name, connections and TLS sessions are reused', async () => {
    const resumed: boolean[] = [];
    const scripted = await scriptedServer((_head, connection, socket) => {
      resumed[connection - 1] = (socket as TLSSocket).isSessionReused();
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${connection}`);
    }, true);
    servers.push(scripted.server);
    // A child process, so that the test certificate is trusted (NODE_EXTRA_CA_CERTS) there only.
    const script = `import { Http1Pool } from ${JSON.stringify(new URL('../../lib/aws/http1.ts', import.meta.url).href)};
      const get = { method: 'GET', path: '/', headers: { host: 'localhost' } };
      const pool = new Http1Pool({ protocol: 'https:', hostname: 'localhost', port: ${scripted.port} }, 5000);
      const first = await pool.request(get);
      const [second, third] = await Promise.all([pool.request(get), pool.request(get)]);
      const byIp = new Http1Pool({ protocol: 'https:', hostname: '127.0.0.1', port: ${scripted.port} }, 5000);
      const refused = await byIp.request(get).then(() => 'accepted', (error) => error.code);
      pool.destroy();
      console.log(JSON.stringify({ bodies: [first, second, third].map((answer) => answer.body.toString()).sort(), refused }));`;
    const stdout = await runModule(script, { NODE_EXTRA_CA_CERTS: certificate.cert });
    const result = JSON.parse(stdout) as { bodies: string[]; refused: string };
    assert.deepEqual(result.bodies, ['1', '1', '2'], 'the first connection served two requests, a second one the third');
    assert.equal(result.refused, 'ERR_TLS_CERT_ALTNAME_INVALID', 'the certificate names localhost, not 127.0.0.1');
    assert.deepEqual(resumed.slice(0, 2), [false, true], 'the second connection resumed the first one\'s TLS session');
  });
});
