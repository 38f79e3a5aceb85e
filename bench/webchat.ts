/**
 * `tsx bench/webchat.ts`: messages per second through Relevo's Direct Line (200 concurrent
 * conversations, full pipeline: dedupe, transcript, the turn, the reply in the conversation log), beside
 * a bare botbuilder echo bot (CloudAdapter on restify, replying to a local Bot Connector) measured in the
 * same run on the same machine. Prints a table, then one JSON object as the last line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import restify from 'restify';
import { loadConfig } from '../bots/config.js';
import { createRelevo } from '../bots/relevo.js';
import { silentLogger } from '../core/logger.js';

const CONVERSATIONS = 200;
const MESSAGES_PER_CONVERSATION = 10;

async function echo(context: TurnContext): Promise<void> {
  if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
}

/** Runs every conversation at once, each sending its messages one after another, as people do. */
async function drive(send: (conversation: number, message: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONVERSATIONS }, async (_, c) => {
      for (let m = 0; m < MESSAGES_PER_CONVERSATION; m++) await send(c, m);
    }),
  );
  return (CONVERSATIONS * MESSAGES_PER_CONVERSATION) / ((performance.now() - started) / 1000);
}

async function baseline(): Promise<number> {
  const connector = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"r"}');
    });
  });
  await new Promise<void>((resolve) => connector.listen(0, '127.0.0.1', () => resolve()));
  const serviceUrl = `http://127.0.0.1:${(connector.address() as AddressInfo).port}`;
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, echo);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
  const rate = await drive(async (c, m) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'message',
        id: `${c}-${m}`,
        text: `hello ${m}`,
        channelId: 'bench',
        serviceUrl,
        conversation: { id: `conv-${c}` },
        from: { id: `user-${c}` },
        recipient: { id: 'bot' },
      }),
    });
    await response.arrayBuffer();
  });
  server.close();
  connector.close();
  return rate;
}

async function relevo(): Promise<number> {
  const agent = await createRelevo({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }),
    logger: silentLogger,
    bot: echo,
  });
  const domain = `http://127.0.0.1:${(await agent.listen()).port}/v3/directline`;
  const grants = await Promise.all(
    Array.from({ length: CONVERSATIONS }, async () => {
      const response = await fetch(`${domain}/conversations`, { method: 'POST' });
      return (await response.json()) as { conversationId: string; token: string };
    }),
  );
  const rate = await drive(async (c, m) => {
    const grant = grants[c] as { conversationId: string; token: string };
    const response = await fetch(`${domain}/conversations/${grant.conversationId}/activities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'message', text: `hello ${m}` }),
    });
    if (response.status !== 200) throw new Error(`Direct Line answered ${response.status}`);
    await response.arrayBuffer();
  });
  await agent.close();
  return rate;
}

// Warm both paths once so JIT and connection pools are not what is measured.
await baseline();
await relevo();
const baselineRate = await baseline();
const relevoRate = await relevo();
const ratio = relevoRate / baselineRate;
process.stdout.write(
  [
    `web chat: ${CONVERSATIONS} concurrent conversations x ${MESSAGES_PER_CONVERSATION} messages`,
    `  bare botbuilder echo bot (CloudAdapter): ${Math.round(baselineRate)} messages/s`,
    `  Relevo Direct Line, full pipeline:       ${Math.round(relevoRate)} messages/s (${ratio.toFixed(2)}x)`,
    JSON.stringify({
      webchatMessagesPerSecond: Math.round(relevoRate),
      baselineMessagesPerSecond: Math.round(baselineRate),
      ratio: Number(ratio.toFixed(3)),
    }),
  ]
    .map((line) => `${line}\n`)
    .join(''),
);
