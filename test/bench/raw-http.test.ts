import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RawHttpPool } from '../../bench/support/raw-http.js';

let server: Server | undefined;
let pool: RawHttpPool | undefined;

afterEach(async () => {
  pool?.destroy();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A server answering each POST as its path says; counts the connections and the bodies it received. */
async function serve(): Promise<{ port: number; connections: () => number; bodies: string[] }> {
  let connections = 0;
  const bodies: string[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      bodies.push(body);
      if (req.url === '/chunked') {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.write('{"id":');
        setTimeout(() => res.end('"a1"}'), 10);
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else if (req.url === '/hang-up') {
        req.socket.destroy();
      } else {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ id: 'x'.repeat(70_000) }));
      }
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, bodies };
}

const request = (path: string, body = '{"type":"message","text":"¿dónde está mi pedido?"}') => ({
  path,
  headers: { 'content-type': 'application/json' },
  body,
});

describe("the open-loop load generator's HTTP client", () => {
  it('reads sized, chunked and empty answers one after another over one kept-alive connection', async () => {
    const { port, connections, bodies } = await serve();
    pool = new RawHttpPool(port);

    expect(await pool.post(request('/sized'))).toBe(200);
    expect(await pool.post(request('/chunked'))).toBe(202);
    expect(await pool.post(request('/empty'))).toBe(204);
    expect(await pool.post(request('/sized'))).toBe(200);

    expect(connections()).toBe(1);
    // The body arrived whole, multi-byte characters counted in bytes.
    expect(bodies).toHaveLength(4);
    expect(JSON.parse(bodies[0] ?? '')).toEqual({ type: 'message', text: '¿dónde está mi pedido?' });
  });

  it('opens one connection per request in flight and reuses them afterwards', async () => {
    const { port, connections } = await serve();
    pool = new RawHttpPool(port);

    const statuses = await Promise.all([1, 2, 3].map(() => pool?.post(request('/chunked'))));
    expect(statuses).toEqual([202, 202, 202]);
    await Promise.all([1, 2, 3].map(() => pool?.post(request('/sized'))));

    expect(connections()).toBe(3);
  });

  it('fails a request whose connection the server closed, and the next one opens a new connection', async () => {
    const { port, connections } = await serve();
    pool = new RawHttpPool(port);

    await expect(pool.post(request('/hang-up'))).rejects.toThrow();
    expect(await pool.post(request('/sized'))).toBe(200);

    expect(connections()).toBe(2);
  });

  it('fails a request the server does not answer in time', async () => {
    const { port } = await serve();
    pool = new RawHttpPool(port, 100);
    server?.removeAllListeners('request');

    await expect(pool.post(request('/sized'))).rejects.toThrow('timed out');
  });
});
