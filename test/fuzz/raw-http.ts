import { connect } from 'node:net';

/** One HTTP answer as it came off the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** A request as bytes: what fetch refuses to send (bad methods, CR/LF in headers, `..` paths, bad UTF-8). */
export interface RawRequest {
  method: string;
  /** Sent as is on the request line. */
  path: string;
  /** Header lines as sent, names and values unchecked. */
  headers: [string, string][];
  body?: Buffer;
}

/**
 * Sends one request over its own loopback socket with `Connection: close` and reads the whole answer.
 * A connection the server closes without an answer resolves with status 0.
 */
export function sendRaw(port: number, request: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const body = request.body ?? Buffer.alloc(0);
  const hasLength = request.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    ...(hasLength ? [] : [`Content-Length: ${body.length}`]),
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${request.method} ${request.path}`));
    }, timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      // A success needs no body read (the static bundles are megabytes): its status line is the answer.
      const head = Buffer.concat(chunks);
      if (head.includes('\r\n\r\n') && /^HTTP\/1\.1 [123]/.test(head.toString('latin1', 0, 12))) {
        finish();
        socket.destroy();
      }
    });
    // The server may close before reading a body it refused (413): that is an answer, not an error.
    socket.on('error', () => {});
    socket.on('close', finish);
    // No half-close: the request says `Connection: close`, so the server closes once it has answered.
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: raw };
  const [statusLine = '', ...lines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = dechunk(body);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
