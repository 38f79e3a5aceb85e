import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Activity, type CloudAdapter, TurnContext } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bots/config.js';
import { createRelevo, type Relevo } from '../../../bots/relevo.js';
import { silentLogger } from '../../../core/logger.js';

let relevo: Relevo | undefined;
let connector: Server | undefined;
afterEach(async () => {
  await relevo?.close();
  connector?.close();
  relevo = undefined;
});

/** A fake Bot Connector: records the texts the bot posts, answers each with an id. */
async function startConnector(): Promise<{ url: string; texts: string[] }> {
  const texts: string[] = [];
  connector = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    texts.push(String(JSON.parse(Buffer.concat(chunks).toString() || '{}').text));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `r-${texts.length}` }));
  });
  await new Promise<void>((resolve) => connector?.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(connector.address() as AddressInfo).port}`, texts };
}

describe('a proactive turn on an Azure Bot Service channel (an agent writes to a Teams or Emulator customer)', () => {
  it('sends the message and keeps only messages in the transcript, then lets go of its turn state', async () => {
    const fake = await startConnector();
    const turnStates: Map<unknown, unknown>[] = [];
    relevo = await createRelevo({
      config: loadConfig({ PORT: '0', HOST: '127.0.0.1' }),
      logger: silentLogger,
      bot: async (context) => {
        if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
      },
    });
    const { port } = await relevo.listen();
    const inbound = {
      type: 'message',
      id: 'act-1',
      text: 'hello',
      channelId: 'emulator',
      serviceUrl: fake.url,
      conversation: { id: 'emulator-conv-9' },
      from: { id: 'user-9', name: 'Ana' },
      recipient: { id: 'bot', name: 'Relevo' },
    };
    await fetch(`http://127.0.0.1:${port}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inbound),
    });
    await expect.poll(() => fake.texts).toEqual(['echo: hello']);

    const adapter = relevo.channels.find((channel) => channel.name === 'botframework')
      ?.adapter as CloudAdapter;
    const reference = TurnContext.getConversationReference(inbound as Partial<Activity>);
    await adapter.continueConversationAsync('', reference, async (context) => {
      turnStates.push(context.turnState);
      await context.sendActivity('Agent Bea: hello Ana');
    });

    expect(fake.texts).toEqual(['echo: hello', 'Agent Bea: hello Ana']);
    await expect
      .poll(async () =>
        (await relevo?.stores.transcripts.getTranscriptActivities('emulator', 'emulator-conv-9'))?.items.map(
          (activity) => `${activity.type}:${activity.text ?? activity.name}`,
        ),
      )
      .toEqual(['message:hello', 'message:echo: hello', 'message:Agent Bea: hello Ana']);
    expect(turnStates.map((state) => state.size)).toEqual([0]);
  });
});
