import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';

/**
 * A tiny load balancer on loopback: each HTTP request and each WebSocket upgrade goes to the next
 * backend in turn, as a round-robin balancer in front of several Relevo processes would send them.
 */
export interface RoundRobinProxy {
  readonly url: string;
  /** Which backend (index) served each request, in order. */
  readonly served: number[];
  close(): Promise<void>;
}

/** `ports` is read on every request, so a test may put a new process in a backend's place. */
export async function startRoundRobinProxy(ports: number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const served: number[] = [];
  const pick = () => {
    const index = next++ % ports.length;
    served.push(index);
    return ports[index] as number;
  };
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host: '127.0.0.1', port: pick(), method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        // A backend killed mid-answer: the client sees its connection cut, as behind a real balancer.
        response.on('error', () => res.destroy());
        response.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502).end();
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(pick(), '127.0.0.1', () => {
      const headers = Object.entries(req.headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((each) => `${name}: ${each}`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
