/**
 * A minimal HTTP/1.1 client for the open-loop load generator: keep-alive sockets on loopback, each
 * request written as one string, each answer read only as far as its status and `content-length` (or
 * chunks). `node:http`'s client parses and builds far more per request (header objects, an
 * `IncomingMessage` stream, agent bookkeeping), and on the bench's two shared cores the generator's CPU
 * is taken from the server and Redis it measures (~0.5 ms a request on a slow core). Only what the
 * bench's servers answer is understood; anything else fails the request, never the run.
 */
import { connect, type Socket } from 'node:net';

export interface RawRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One socket's parser: bytes in, the status of each complete answer out. */
class AnswerReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends `chunk`; answers the status once a whole answer is in, else undefined. Throws on garbage. */
  push(chunk: Buffer): number | undefined {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headEnd = this.buffer.indexOf(HEADER_END);
    if (headEnd < 0) return undefined;
    const head = this.buffer.toString('latin1', 0, headEnd);
    const status = Number(head.slice(9, 12));
    if (!head.startsWith('HTTP/1.1 ') || !Number.isInteger(status)) throw new Error('not an HTTP/1.1 answer');
    const bodyStart = headEnd + HEADER_END.length;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    let end: number | undefined;
    if (length) {
      end = bodyStart + Number(length[1]);
      if (this.buffer.length < end) return undefined;
    } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      end = chunkedEnd(this.buffer, bodyStart);
      if (end === undefined) return undefined;
    } else end = bodyStart;
    this.buffer = this.buffer.subarray(end);
    if (this.buffer.length > 0) throw new Error('bytes after an answer to the one request in flight');
    return status;
  }
}

/** Where a chunked body starting at `from` ends (after its last chunk), or undefined if not all in. */
function chunkedEnd(buffer: Buffer, from: number): number | undefined {
  let at = from;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffer.toString('latin1', at, lineEnd), 16);
    if (!Number.isFinite(size)) throw new Error('a bad chunk size');
    at = lineEnd + 2 + size + 2;
    if (buffer.length < at) return undefined;
    if (size === 0) return at;
  }
}

interface Pending {
  resolve: (status: number) => void;
  reject: (error: Error) => void;
}

/** Keep-alive connections to `127.0.0.1:port`, one request in flight on each. */
export class RawHttpPool {
  private readonly idle: Socket[] = [];
  private readonly open = new Set<Socket>();
  private readonly pending = new Map<Socket, Pending>();
  private readonly readers = new Map<Socket, AnswerReader>();

  constructor(
    private readonly port: number,
    private readonly timeoutMs = 30_000,
  ) {}

  /** POSTs `request`; resolves with the answer's status, rejects on a socket error or timeout. */
  post(request: RawRequest): Promise<number> {
    const socket = this.idle.pop() ?? this.connect();
    let head = `POST ${request.path} HTTP/1.1\r\nhost: 127.0.0.1:${this.port}\r\nconnection: keep-alive\r\n`;
    for (const [name, value] of Object.entries(request.headers)) head += `${name}: ${value}\r\n`;
    head += `content-length: ${Buffer.byteLength(request.body)}\r\n\r\n${request.body}`;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(socket, { resolve, reject });
      this.readers.set(socket, new AnswerReader());
      socket.setTimeout(this.timeoutMs);
      socket.write(head);
    });
  }

  /** Closes every connection; requests in flight fail. */
  destroy(): void {
    for (const socket of this.open) socket.destroy();
  }

  private connect(): Socket {
    const socket = connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    this.open.add(socket);
    socket.on('data', (chunk: Buffer) => {
      const waiting = this.pending.get(socket);
      let status: number | undefined;
      try {
        status = this.readers.get(socket)?.push(chunk);
      } catch (error) {
        socket.destroy(error as Error);
        return;
      }
      if (status === undefined || !waiting) return;
      this.pending.delete(socket);
      socket.setTimeout(0);
      this.idle.push(socket);
      waiting.resolve(status);
    });
    socket.on('timeout', () => socket.destroy(new Error('timed out')));
    socket.on('close', () => {
      this.open.delete(socket);
      const at = this.idle.indexOf(socket);
      if (at >= 0) this.idle.splice(at, 1);
      this.pending.get(socket)?.reject(new Error('connection closed'));
      this.pending.delete(socket);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.pending.get(socket)?.reject(error);
      this.pending.delete(socket);
    });
    return socket;
  }
}
