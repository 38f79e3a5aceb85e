import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createHttpServer } from '../../bots/http-server.js';
import type { Logger } from '../../core/logger.js';

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
});
