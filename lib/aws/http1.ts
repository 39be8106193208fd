/**
 * A lean HTTP/1.1 client for S3Direct: one request at a time per kept-alive connection, the request
 * head and body written in one go, the answer parsed from the socket's bytes.
 *
 * The S3 writes were 29–56 % of the ingest handler's CPU, and most of a PUT's was `node:http`'s:
 * a signed 12 KiB PUT through S3Direct cost 100–119 µs of user CPU over `node:http` and 61–83 µs
 * over this client (docs/ingest.md, "Performance"). It implements what S3's object requests need and
 * no more: Content-Length and chunked bodies, answers without a body (HEAD, 204, 304), informational
 * answers skipped, `Connection: close`, TLS with session reuse. Header values are checked for
 * line breaks, so no caller can inject a header.
 *
 * Failures are rejections S3Direct's retry understands: a connection lost before the answer is
 * complete is ECONNRESET (a reused connection the server had closed while idle fails this way,
 * and the retry opens a new one), silence past the timeout is ETIMEDOUT, bytes that are not HTTP
 * are an Http1ProtocolError (not retried).
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface Http1Origin {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number | undefined;
}

export interface Http1Request {
  method: string;
  /** Path and query as sent (already encoded). */
  path: string;
  /** Lower-case names; values must not contain CR, LF or NUL. Not content-length: see `body`. */
  headers: Readonly<Record<string, string>>;
  /** Sent with a content-length of its size (the client frames the request itself). */
  body?: Uint8Array | undefined;
}

export interface Http1Answer {
  status: number;
  /** Lower-case names; a header given more than once has its values joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

/** The server sent bytes that are not an HTTP/1.x answer. */
export class Http1ProtocolError extends Error {
  override name = 'Http1ProtocolError';
}

/** A network failure with the code S3Direct's retry reads (ECONNRESET, ETIMEDOUT). */
class Http1NetworkError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Http1NetworkError';
  }
}

const maxHeadBytes = 64 * 1024;
const crlfcrlf = Buffer.from('\r\n\r\n');
const unsafeHeaderValue = /[\r\n\0]/;

export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private tlsSession: Buffer | undefined;

  /**
   * `timeoutMs`: how long a connection may stay silent during a request before it fails with
   * ETIMEDOUT; an idle connection is closed after as long.
   */
  constructor(
    private readonly origin: Http1Origin,
    private readonly timeoutMs: number,
  ) {}

  request(request: Http1Request): Promise<Http1Answer> {
    let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
    for (const [name, value] of Object.entries(request.headers)) {
      if (unsafeHeaderValue.test(value) || unsafeHeaderValue.test(name)) throw new TypeError(`header ${JSON.stringify(name)} contains a line break or NUL`);
      if (name === 'content-length') throw new TypeError('content-length is set from the body');
      head += `${name}: ${value}\r\n`;
    }
    if (request.body !== undefined) head += `content-length: ${request.body.length}\r\n`;
    head += '\r\n';
    let connection = this.idle.pop();
    // A connection closed while idle leaves the list when its close event comes; skip it until then.
    while (connection?.socket.destroyed === true) connection = this.idle.pop();
    return (connection ?? this.connect()).exchange(head, request.body, request.method === 'HEAD');
  }

  /** Closes every connection. */
  destroy(): void {
    for (const connection of this.open) connection.socket.destroy();
    this.idle.length = 0;
  }

  private connect(): Connection {
    const { hostname, protocol } = this.origin;
    const port = this.origin.port ?? (protocol === 'https:' ? 443 : 80);
    let socket: Socket;
    if (protocol === 'https:') {
      const tls = tlsConnect({
        host: hostname,
        port,
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        ALPNProtocols: ['http/1.1'],
        ...(this.tlsSession === undefined ? {} : { session: this.tlsSession }),
      });
      tls.on('session', (session: Buffer) => (this.tlsSession = session));
      socket = tls;
    } else {
      socket = netConnect({ host: hostname, port });
    }
    const connection = new Connection(socket, this.timeoutMs, {
      idle: () => this.idle.push(connection),
      closed: () => {
        this.open.delete(connection);
        const at = this.idle.indexOf(connection);
        if (at >= 0) this.idle.splice(at, 1);
      },
    });
    this.open.add(connection);
    return connection;
  }
}

/**
 * One socket and the exchange on it, if any. Its listeners stay for the socket's life and go to
 * the current exchange; while idle, anything happening on the socket (data, an error, its end,
 * the timeout) closes it. An idle socket does not keep the process alive.
 */
class Connection {
  private current: Exchange | undefined;

  constructor(
    readonly socket: Socket,
    timeoutMs: number,
    private readonly pool: { idle: () => void; closed: () => void },
  ) {
    socket.setNoDelay(true);
    // The request's timeout while busy (the connection is silent that long: ETIMEDOUT), the idle limit otherwise.
    socket.setTimeout(timeoutMs, () => {
      if (this.current === undefined) socket.destroy();
      else this.current.fail(new Http1NetworkError('ETIMEDOUT', `no answer within ${timeoutMs} ms`));
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.current === undefined) socket.destroy(); // nothing may arrive between exchanges
      else this.current.receive(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.current?.fail(new Http1NetworkError(error.code ?? 'ECONNRESET', error.message)));
    socket.on('end', () => {
      if (this.current === undefined) socket.destroy();
    });
    socket.on('close', () => {
      this.current?.closed();
      pool.closed();
    });
  }

  exchange(head: string, body: Uint8Array | undefined, headRequest: boolean): Promise<Http1Answer> {
    const { socket } = this;
    socket.ref();
    return new Promise<Http1Answer>((resolve, reject) => {
      this.current = new Exchange(headRequest, (error, answer, reusable) => {
        this.current = undefined;
        if (error !== undefined) {
          socket.destroy();
          reject(error);
          return;
        }
        if (reusable && !socket.destroyed) {
          socket.unref();
          this.pool.idle();
        } else socket.destroy();
        resolve(answer!);
      });
      socket.cork();
      socket.write(head, 'latin1');
      if (body !== undefined && body.length > 0) socket.write(body);
      socket.uncork();
    });
  }
}

/**
 * One request's answer, parsed as its bytes arrive: the status line and headers (informational
 * answers skipped), then a body delimited by Content-Length, by chunked encoding, by nothing (HEAD,
 * 204, 304) or by the end of the connection. Calls `done` once.
 */
class Exchange {
  private pending: Buffer = Buffer.alloc(0);
  private state: 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close' | 'finished' = 'head';
  private status = 0;
  private headers: Record<string, string> = {};
  private keepAlive = true;
  private bodyParts: Buffer[] = [];
  private remaining = 0;

  constructor(
    private readonly headRequest: boolean,
    private readonly done: (error: Error | undefined, answer: Http1Answer | undefined, reusable: boolean) => void,
  ) {}

  receive(chunk: Buffer): void {
    if (this.state === 'finished') return;
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.parse();
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /** The connection closed: the end of a body delimited by it, or a lost answer. */
  closed(): void {
    if (this.state === 'until-close') this.finish(false);
    else this.fail(new Http1NetworkError('ECONNRESET', 'the connection closed before the answer was complete'));
  }

  fail(error: Error): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    this.done(error, undefined, false);
  }

  private parse(): void {
    for (;;) {
      switch (this.state) {
        case 'head': {
          const end = this.pending.indexOf(crlfcrlf);
          if (end < 0) {
            if (this.pending.length > maxHeadBytes) throw new Http1ProtocolError(`the answer's head is longer than ${maxHeadBytes} bytes`);
            return;
          }
          const head = this.pending.toString('latin1', 0, end);
          this.pending = this.pending.subarray(end + 4);
          if (this.readHead(head)) this.startBody();
          break;
        }
        case 'length':
          if (this.takeBody()) this.finish(this.keepAlive);
          return;
        case 'chunk-size': {
          const end = this.pending.indexOf('\r\n');
          if (end < 0) {
            if (this.pending.length > 1024) throw new Http1ProtocolError('a chunk size line is too long');
            return;
          }
          const line = this.pending.toString('latin1', 0, end);
          this.pending = this.pending.subarray(end + 2);
          const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
          if (size === null) throw new Http1ProtocolError(`invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(size[1]!, 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data':
          if (!this.takeBody()) return;
          this.state = 'chunk-end';
          break;
        case 'chunk-end': {
          if (this.pending.length < 2) return;
          if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw new Http1ProtocolError('a chunk is not followed by CRLF');
          this.pending = this.pending.subarray(2);
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          // Trailer lines up to an empty line; their contents are not used.
          const end = this.pending.indexOf('\r\n');
          if (end < 0) return;
          this.pending = this.pending.subarray(end + 2);
          if (end === 0) {
            this.finish(this.keepAlive);
            return;
          }
          break;
        }
        case 'until-close':
          if (this.pending.length > 0) this.bodyParts.push(this.pending);
          this.pending = Buffer.alloc(0);
          return;
        case 'finished':
          return;
      }
    }
  }

  /** Moves up to `remaining` body bytes from what has arrived; true once they are all there. */
  private takeBody(): boolean {
    const take = Math.min(this.remaining, this.pending.length);
    if (take > 0) this.bodyParts.push(this.pending.subarray(0, take));
    this.pending = this.pending.subarray(take);
    this.remaining -= take;
    return this.remaining === 0;
  }

  /** Reads a status line and headers; false for an informational (1xx) answer, which is skipped. */
  private readHead(head: string): boolean {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (statusLine === null) throw new Http1ProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 60))}`);
    const status = Number(statusLine[2]);
    if (status < 200) return false;
    this.status = status;
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Http1ProtocolError(`invalid header line ${JSON.stringify(line.slice(0, 60))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    this.headers = headers;
    const connection = headers['connection']?.toLowerCase() ?? '';
    this.keepAlive = statusLine[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
    return true;
  }

  private startBody(): void {
    const { headers, status } = this;
    if (this.headRequest || status === 204 || status === 304) {
      this.finish(this.keepAlive && this.pending.length === 0);
      return;
    }
    const encoding = headers['transfer-encoding'];
    if (encoding !== undefined) {
      if (encoding.toLowerCase() !== 'chunked') throw new Http1ProtocolError(`transfer encoding ${JSON.stringify(encoding)} is not supported`);
      this.state = 'chunk-size';
      return;
    }
    const length = headers['content-length'];
    if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) throw new Http1ProtocolError(`invalid content-length ${JSON.stringify(length)}`);
      this.remaining = Number(length);
      this.state = 'length';
      return;
    }
    this.keepAlive = false;
    this.state = 'until-close';
  }

  private finish(reusable: boolean): void {
    if (this.state === 'finished') return;
    this.state = 'finished';
    const body = this.bodyParts.length === 1 ? this.bodyParts[0]! : Buffer.concat(this.bodyParts);
    // Bytes after the answer mean the connection is out of step: do not reuse it.
    this.done(undefined, { status: this.status, headers: this.headers, body }, reusable && this.pending.length === 0);
  }
}
