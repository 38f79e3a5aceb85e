import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A reply the bot posted to the fake Bot Connector service, as Azure's would receive it. */
export interface Reply {
  path: string;
  body: Record<string, unknown>;
}

/**
 * A fake Bot Connector service on loopback (an activity's `serviceUrl`): records the replies posted
 * to it. `failing`: the numbers (1 = first) of the requests the fake refuses with 403 (the Bot Connector's
 * client retries 5xx answers by itself; a refusal fails the turn).
 */
export async function startConnector(
  failing: number[] = [],
): Promise<{ url: string; replies: Reply[]; server: Server }> {
  const replies: Reply[] = [];
  let requests = 0;
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (failing.includes(++requests)) {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'BotDisabled', message: 'The bot is disabled' } }));
      return;
    }
    replies.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `reply-${replies.length}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, replies, server };
}
