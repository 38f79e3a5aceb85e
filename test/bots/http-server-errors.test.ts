import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../bots/http-server.js';
import { RelevoError } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';

describe('the HTTP server’s error answers', () => {
  it('answers a route that fails unexpectedly with 500 and no detail of the error, which goes to the log', async () => {
    const logged: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn() {},
      error(obj) {
        logged.push(String((obj as { err?: unknown }).err));
      },
      child: () => logger,
    };
    const server = createHttpServer(logger);
    server.post('/broken', async () => {
      throw new TypeError('the secret detail of a bug');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/broken`, { method: 'POST' });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        code: 'RELEVO_INTERNAL',
        message: 'Internal error; see the server log',
      });
      expect(logged).toEqual(['TypeError: the secret detail of a bug']);
    } finally {
      server.close();
    }
  });

  it('answers another 4xx error with its status and reason phrase, never its message; our own errors keep theirs', async () => {
    const server = createHttpServer(silentLogger);
    server.post('/library-refusal', async () => {
      throw Object.assign(new Error('token abc123 of user 42 is not allowed here'), { statusCode: 403 });
    });
    server.post('/relevo-refusal', async () => {
      throw new RelevoError('RELEVO_EXAMPLE_REFUSED', 'The order number is not one of yours', {
        statusCode: 403,
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const base = `http://127.0.0.1:${port}`;
      const library = await fetch(`${base}/library-refusal`, { method: 'POST' });
      expect(library.status).toBe(403);
      expect(await library.json()).toEqual({ code: 'RELEVO_FORBIDDEN', message: 'Forbidden' });
      const ours = await fetch(`${base}/relevo-refusal`, { method: 'POST' });
      expect(ours.status).toBe(403);
      expect(await ours.json()).toEqual({
        code: 'RELEVO_EXAMPLE_REFUSED',
        message: 'The order number is not one of yours',
      });
      // restify's own 404 named the requested path in its message.
      const missing = await fetch(`${base}/no-such-route-%3Cscript%3E`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ code: 'RELEVO_RESOURCE_NOT_FOUND', message: 'Not Found' });
    } finally {
      server.close();
    }
  });
});
