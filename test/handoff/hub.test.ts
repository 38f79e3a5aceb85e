import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Activity, TestAdapter, type TurnContext } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { InFlightWork } from '../../core/in-flight.js';
import { TurnStateKey } from '../../core/turn-state.js';
import { createHandoffs } from '../../handoff/create-handoffs.js';
import { HandoffMiddleware } from '../../handoff/handoff-middleware.js';
import {
  HUB_SIGNATURE_HEADER,
  HUB_TIMESTAMP_HEADER,
  HubWebhook,
  signHubRequest,
} from '../../handoff/hub-webhook.js';
import { handoffMessages } from '../../handoff/messages.js';
import { createStores } from '../../storage/stores.js';
import { keywordNlu } from '../support/handoff-server.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A fake agent hub answering with the given statuses in turn and keeping what it received. */
async function fakeHub(statuses: number[]) {
  const received: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received.push({ headers: req.headers, body });
    res.statusCode = statuses[received.length - 1] ?? 200;
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/handoffs`, received };
}

const packet = { type: 'event', name: 'handoff.initiate', id: 'h1', value: { reason: 'x' } } as Activity;
const clock = { now: () => 1_700_000_000_000 };

describe('the hub webhook', () => {
  it('signs the packet with HMAC-SHA256 and retries 5xx with exponential backoff', async () => {
    const hub = await fakeHub([503, 502, 200]);
    const pauses: number[] = [];
    const webhook = new HubWebhook({
      url: hub.url,
      secret: 's3cret',
      clock,
      sleep: async (ms) => pauses.push(ms),
    });
    await webhook.deliver(packet);
    expect(hub.received).toHaveLength(3);
    expect(pauses).toEqual([500, 1000]);
    const [first] = hub.received;
    expect(JSON.parse(first?.body ?? '')).toEqual(packet);
    expect(first?.headers[HUB_TIMESTAMP_HEADER]).toBe('1700000000');
    expect(first?.headers[HUB_SIGNATURE_HEADER]).toBe(
      signHubRequest('s3cret', 1_700_000_000, first?.body ?? ''),
    );
  });

  it('gives up at once when the hub refuses the packet with a 4xx', async () => {
    const hub = await fakeHub([422]);
    const webhook = new HubWebhook({ url: hub.url, secret: 's', sleep: async () => {} });
    await expect(webhook.deliver(packet)).rejects.toMatchObject({ code: 'RELEVO_HANDOFF_HUB_DELIVERY' });
    expect(hub.received).toHaveLength(1);
  });
});

async function hubConversation(hub?: { url: string; secret: string }, inFlight?: InFlightWork) {
  const stores = await createStores();
  const handoffs = createHandoffs({ stores, hub, ...(inFlight ? { inFlight } : {}) });
  const bot = async (context: TurnContext) => {
    if (context.activity.type === 'message') await context.sendActivity(`echo: ${context.activity.text}`);
  };
  const adapter = new TestAdapter(bot);
  adapter.use(new HandoffMiddleware({ handoffs }));
  adapter.use({
    onTurn: async (context: TurnContext, next) => {
      if (context.activity.type === 'message') {
        context.turnState.set(TurnStateKey.nlu, keywordNlu(context.activity.text ?? ''));
      }
      await next();
    },
  });
  const status = (state: string) => ({ type: 'event', name: 'handoff.status', value: { state } });
  return { stores, handoffs, adapter, bot, status };
}

describe('handoff.status events from a hub', () => {
  it('marks the handoff accepted, keeps the bot silent, and hands back with CSAT on completed', async () => {
    const { handoffs, adapter, status } = await hubConversation();
    await adapter
      .send('I want an agent')
      .assertReply('echo: I want an agent')
      .assertReply(handoffMessages.en.joining);
    await adapter.send(status('accepted') as Partial<Activity>);
    const [active] = await handoffs.list('active');
    expect(active).toMatchObject({ agentId: 'hub', hubStatus: 'accepted' });
    await adapter.send('are you there?').assertNoReply('the bot stays silent', 100);
    await adapter.send(status('completed') as Partial<Activity>).assertReply(handoffMessages.en.csat);
    expect((await handoffs.list('resolved'))[0]?.hubStatus).toBe('completed');
    await adapter.send('hello again').assertReply('echo: hello again');
  });

  it('lets the bot carry on and tells the customer when the hub fails', async () => {
    const { handoffs, adapter, status } = await hubConversation();
    await adapter.send('agent').assertReply('echo: agent').assertReply(handoffMessages.en.joining);
    await adapter.send(status('failed') as Partial<Activity>).assertReply(handoffMessages.en.hubFailed);
    expect((await handoffs.list('failed'))[0]?.reason.trigger).toBe('explicit-request');
    await adapter.send('still there?').assertReply('echo: still there?');
  });

  it('ignores a handoff.status a web chat customer sends', async () => {
    const { handoffs, adapter, status } = await hubConversation();
    await adapter.send('agent').assertReply('echo: agent').assertReply(handoffMessages.en.joining);
    const forged = { ...status('completed'), channelId: 'webchat', from: { id: 'u', role: 'user' } };
    await adapter.send(forged as Partial<Activity>);
    expect(await handoffs.list('pending')).toHaveLength(1);
  });

  it('starts one handoff when two turns of a conversation trigger at once', async () => {
    const { handoffs } = await hubConversation();
    const adapter = new TestAdapter();
    let contexts: TurnContext[] = [];
    await adapter.processActivity('x', async (context) => {
      contexts = [context, context, context];
      const started = await Promise.all(
        contexts.map((each) =>
          handoffs.initiate(each, { trigger: 'explicit-request', values: { words: true } }, {}),
        ),
      );
      expect(started.filter(Boolean)).toHaveLength(1);
    });
    expect(await handoffs.list('pending')).toHaveLength(1);
  });

  it('posts each new handoff packet to the configured hub, signed, and shutdown waits for it', async () => {
    const hub = await fakeHub([200]);
    const inFlight = new InFlightWork();
    const { adapter } = await hubConversation({ url: hub.url, secret: 'hub-secret' }, inFlight);
    await adapter
      .send('agent please')
      .assertReply('echo: agent please')
      .assertReply(handoffMessages.en.joining);
    expect(await inFlight.drain(5_000)).toBe(true);
    expect(hub.received).toHaveLength(1);
    const [request] = hub.received;
    const posted = JSON.parse(request?.body ?? '{}') as Activity;
    expect(posted).toMatchObject({
      type: 'event',
      name: 'handoff.initiate',
      value: { reason: { trigger: 'explicit-request' } },
    });
    expect(posted.attachments?.[0]?.name).toBe('Transcript');
    const timestamp = Number(request?.headers[HUB_TIMESTAMP_HEADER]);
    expect(request?.headers[HUB_SIGNATURE_HEADER]).toBe(
      signHubRequest('hub-secret', timestamp, request?.body ?? ''),
    );
  });
});
