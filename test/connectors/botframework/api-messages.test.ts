import type { Server } from 'node:http';
import { type Activity, type CloudAdapter, TurnContext } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../bots/config.js';
import { createRelevo, type Relevo } from '../../../bots/relevo.js';
import { silentLogger } from '../../../core/logger.js';
import { startConnector } from '../../support/fake-bot-connector.js';

let relevo: Relevo | undefined;
let connector: Server | undefined;
afterEach(async () => {
  await relevo?.close();
  connector?.close();
  relevo = undefined;
});

async function startAgent(
  env: Record<string, string> = {},
): Promise<{ base: string; seen: string[]; turnStates: Map<unknown, unknown>[] }> {
  const seen: string[] = [];
  const turnStates: Map<unknown, unknown>[] = [];
  relevo = await createRelevo({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env }),
    logger: silentLogger,
    bot: async (context) => {
      if (context.activity.type !== 'message' && context.activity.name !== 'composeExtension/query') return;
      seen.push(context.activity.from.id);
      turnStates.push(context.turnState);
      if (context.activity.type === 'invoke') {
        await context.sendActivity({
          type: 'invokeResponse',
          value: { status: 200, body: { seen: seen.length } },
        });
        return;
      }
      if (context.activity.text === 'two replies') {
        await context.sendActivities([
          { type: 'message', text: 'First.' },
          { type: 'message', text: 'Second.' },
        ]);
        return;
      }
      await context.sendActivity(`echo: ${context.activity.text}`);
    },
  });
  const { port } = await relevo.listen();
  return { base: `http://127.0.0.1:${port}`, seen, turnStates };
}

/** POSTs an activity to /api/messages as JSON, with no Authorization header (an Emulator on loopback). */
function postActivity(base: string, body: unknown): Promise<Response> {
  return fetch(`${base}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function activity(serviceUrl: string, text: string, id = 'act-1') {
  return {
    type: 'message',
    id,
    text,
    channelId: 'emulator',
    serviceUrl,
    conversation: { id: 'emulator-conv-1' },
    from: { id: 'user-7', name: 'Ana' },
    recipient: { id: 'bot', name: 'Relevo' },
  };
}

describe('POST /api/messages (Azure Bot Service channels)', () => {
  it('answers an Emulator on this machine through its service URL, with the sender as an identity key', async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base, seen } = await startAgent();
    const response = await postActivity(base, activity(fake.url, 'hello'));
    expect(response.status).toBe(200);
    expect(seen).toEqual(['emulator:user-7']);
    expect(fake.replies).toHaveLength(1);
    expect(fake.replies[0]?.path).toBe('/v3/conversations/emulator-conv-1/activities/act-1');
    expect(fake.replies[0]?.body).toMatchObject({ type: 'message', text: 'echo: hello', replyToId: 'act-1' });
  });

  it('processes a re-delivered activity only once', async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base } = await startAgent();
    for (let i = 0; i < 2; i++) {
      await postActivity(base, activity(fake.url, 'once', 'act-dup'));
    }
    expect(fake.replies).toHaveLength(1);
  });

  it('finishes a turn whose second reply the connector refused from its saved outbox, sending each reply once', async () => {
    const fake = await startConnector([2]);
    connector = fake.server;
    const { base, seen } = await startAgent({ INBOUND_VISIBILITY_MS: '1000' });
    const response = await postActivity(base, activity(fake.url, 'two replies', 'act-two'));
    // Acknowledged: the activity is queued, and the failed turn stays queued for another run.
    expect(response.status).toBe(200);
    await expect
      .poll(() => fake.replies.map((reply) => reply.body.text), { timeout: 10_000 })
      .toEqual(['First.', 'Second.']);
    // The second run found the turn's state saved with its replies: it sent 'Second.' without the bot.
    expect(seen).toEqual(['emulator:user-7']);
  });

  it('runs an invoke in its request and answers with its result', async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base, seen } = await startAgent();
    const response = await postActivity(base, {
      ...activity(fake.url, 'x', 'act-invoke'),
      type: 'invoke',
      name: 'ping',
    });
    // No handler for this invoke: botbuilder answers 501 in the response, and nothing is queued.
    expect(response.status).toBe(501);
    expect(seen).toEqual([]);
  });

  it('answers a retried invoke with the result of its one run, through the whole pipeline', async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base, seen } = await startAgent();
    const query = { ...activity(fake.url, 'x', 'act-query'), type: 'invoke', name: 'composeExtension/query' };
    for (let i = 0; i < 2; i++) {
      const response = await postActivity(base, query);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ seen: 1 });
    }
    expect(seen).toEqual(['emulator:user-7']);
  });

  it("lets go of a finished turn's state once the invoke is answered and the message's reply is sent", async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base, turnStates } = await startAgent();
    const query = { ...activity(fake.url, 'x', 'act-q'), type: 'invoke', name: 'composeExtension/query' };
    const response = await postActivity(base, query);
    expect(await response.json()).toEqual({ seen: 1 });
    await postActivity(base, activity(fake.url, 'hello', 'act-hello'));
    await expect.poll(() => fake.replies.map((reply) => reply.body.text)).toEqual(['echo: hello']);
    await expect.poll(() => turnStates.map((state) => state.size)).toEqual([0, 0]);
  });

  it("sends an agent's proactive message, keeps only messages in the transcript and lets go of that turn's state", async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base } = await startAgent();
    const inbound = activity(fake.url, 'hello', 'act-9');
    await postActivity(base, inbound);
    await expect.poll(() => fake.replies.map((reply) => reply.body.text)).toEqual(['echo: hello']);

    // The agent desk writes to the customer through the channel's adapter (a proactive turn).
    const adapter = relevo?.channels.find((channel) => channel.name === 'botframework')
      ?.adapter as CloudAdapter;
    const proactiveStates: Map<unknown, unknown>[] = [];
    await adapter.continueConversationAsync(
      '',
      TurnContext.getConversationReference(inbound as Partial<Activity>),
      async (context) => {
        proactiveStates.push(context.turnState);
        await context.sendActivity('Agent Bea: hello Ana');
      },
    );

    expect(fake.replies.map((reply) => reply.body.text)).toEqual(['echo: hello', 'Agent Bea: hello Ana']);
    await expect
      .poll(async () =>
        (await relevo?.stores.transcripts.getTranscriptActivities('emulator', 'emulator-conv-1'))?.items.map(
          (item) => `${item.type}:${item.text ?? item.name}`,
        ),
      )
      .toEqual(['message:hello', 'message:echo: hello', 'message:Agent Bea: hello Ana']);
    expect(proactiveStates.map((state) => state.size)).toEqual([0]);
  });

  it('refuses, without an app id, to send replies to a service URL off this machine', async () => {
    const { base } = await startAgent();
    const response = await postActivity(base, activity('https://smba.trafficmanager.net/emea/', 'hi'));
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ code: 'RELEVO_BOTFRAMEWORK_FORBIDDEN' });
  });

  it('rejects requests without a valid Bot Framework JWT once MicrosoftAppId is set', async () => {
    const fake = await startConnector();
    connector = fake.server;
    const { base, seen } = await startAgent({
      MicrosoftAppId: 'app-id',
      MicrosoftAppPassword: 'app-password',
    });
    for (const authorization of [undefined, 'Bearer forged.jwt.token']) {
      const response = await fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(activity(fake.url, 'hi')),
      });
      expect(response.status).toBe(401);
    }
    expect(seen).toEqual([]);
    expect(fake.replies).toEqual([]);
  });

  it('answers a body that is not an activity with 400 and the reason', async () => {
    const { base } = await startAgent();
    const response = await fetch(`${base}/api/messages`, { method: 'POST', body: '{"type":"message"}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'RELEVO_BOTFRAMEWORK_INVALID_ACTIVITY' });
  });
});
