import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WebSocket } from 'ws';
import { type RoundRobinProxy, startRoundRobinProxy } from '../support/round-robin-proxy.js';
import { type RelevoProcess, spawnRelevo } from '../support/spawn-relevo.js';

const TOKEN = 'multi-process-token-0123456789';

interface Grant {
  conversationId: string;
  token: string;
  streamUrl: string;
}

// The same promises on one Redis server and on a 3-master Redis Cluster (REDIS_CLUSTER_URLS).
const deployments = [
  { name: 'one Redis', storage: 'redis', env: () => ({ REDIS_URL: inject('redisUrl') }) },
  {
    name: 'a Redis Cluster',
    storage: 'redis-cluster',
    env: () => ({ REDIS_CLUSTER_URLS: inject('redisClusterUrls').join(',') }),
  },
];

for (const deployment of deployments)
  describe(`two Relevo processes on ${deployment.name} behind a round-robin balancer`, () => {
    let processes: RelevoProcess[];
    let proxy: RoundRobinProxy;

    beforeAll(async () => {
      const env = {
        PORT: '0',
        ...deployment.env(),
        REDIS_KEY_PREFIX: `multi-${randomUUID().slice(0, 8)}`,
        RELEVO_API_TOKEN: TOKEN,
      };
      processes = [spawnRelevo(env), spawnRelevo(env)];
      const ports = await Promise.all(processes.map((each) => each.listening()));
      proxy = await startRoundRobinProxy(ports);
    }, 120_000);

    afterAll(async () => {
      await proxy?.close();
      for (const each of processes ?? []) each.child.kill('SIGTERM');
      await Promise.all((processes ?? []).map((each) => each.exited()));
    });

    it('holds one customer conversation across both processes: every message gets exactly one reply, in order', async () => {
      const grant = (await (
        await fetch(`${proxy.url}/v3/directline/conversations`, { method: 'POST' })
      ).json()) as Grant;
      // The stream goes through the balancer to whichever process it picks; replies made by the other
      // process reach it over Redis pub/sub.
      const streamUrl = grant.streamUrl.replace(/^ws:\/\/[^/]+/, proxy.url.replace('http', 'ws'));
      const pushed: { text: string; role: string }[] = [];
      const socket = new WebSocket(streamUrl);
      socket.on('message', (data) => {
        for (const activity of (
          JSON.parse(String(data)) as {
            activities: { type: string; text?: string; from: { role: string } }[];
          }
        ).activities) {
          if (activity.type === 'message')
            pushed.push({ text: activity.text ?? '', role: activity.from.role });
        }
      });
      await new Promise((resolve) => socket.once('open', resolve));

      const orders = ['ORD-100001', 'ORD-100002', 'ORD-100003', 'ORD-100005'];
      for (const order of orders) {
        const response = await fetch(
          `${proxy.url}/v3/directline/conversations/${grant.conversationId}/activities`,
          {
            method: 'POST',
            headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ type: 'message', text: `where is my order ${order}`, locale: 'en-US' }),
          },
        );
        expect(response.status).toBe(200);
      }
      await expect
        .poll(() => pushed.filter((each) => each.role === 'bot' && each.text.startsWith('Order ')).length, {
          timeout: 15_000,
        })
        .toBe(orders.length);
      // Each status answer follows its own question, once.
      const answers = pushed
        .filter((each) => each.role === 'bot' && each.text.startsWith('Order '))
        .map((each) => each.text.slice(6, 16));
      expect(answers).toEqual(orders);
      expect(new Set(proxy.served).size).toBe(2);
      expect(await (await fetch(`${proxy.url}/healthz`)).json()).toMatchObject({
        storage: deployment.storage,
      });
      socket.close();
    });

    it('keeps the turns of one conversation apart when two messages arrive at both processes at once', async () => {
      const grant = (await (
        await fetch(`${proxy.url}/v3/directline/conversations`, { method: 'POST' })
      ).json()) as Grant;
      const post = (text: string) =>
        fetch(`${proxy.url}/v3/directline/conversations/${grant.conversationId}/activities`, {
          method: 'POST',
          headers: { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'message', text, locale: 'en-US' }),
        });
      const responses = await Promise.all([
        post('where is my order ORD-100002'),
        post('where is my order ORD-100003'),
      ]);
      expect(responses.map((response) => response.status)).toEqual([200, 200]);
      const { activities } = (await (
        await fetch(`${proxy.url}/v3/directline/conversations/${grant.conversationId}/activities`, {
          headers: { authorization: `Bearer ${grant.token}` },
        })
      ).json()) as { activities: { text?: string; from: { role: string } }[] };
      const statuses = activities
        .filter((a) => a.from.role === 'bot' && a.text?.startsWith('Order '))
        .map((a) => a.text?.slice(6, 16));
      expect(statuses.sort()).toEqual(['ORD-100002', 'ORD-100003']);
    });

    it('keeps one member, one balance and one reward stock for a customer whichever process answers', async () => {
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${proxy.url}${path}`, {
          ...init,
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
        });
      const grant = (await (
        await fetch(`${proxy.url}/v3/directline/conversations`, { method: 'POST' })
      ).json()) as Grant;
      const activities = `${proxy.url}/v3/directline/conversations/${grant.conversationId}/activities`;
      const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
      await fetch(activities, {
        method: 'POST',
        headers,
        body: JSON.stringify({ type: 'message', text: 'hello' }),
      });
      const { activities: seen } = (await (await fetch(activities, { headers })).json()) as {
        activities: { from: { id: string; role: string } }[];
      };
      const key = encodeURIComponent(`webchat:${seen.find((a) => a.from.role === 'user')?.from.id}`);
      // Consecutive requests go to the two processes in turn: both know the same member.
      const ids = [];
      for (let i = 0; i < 2; i++)
        ids.push(((await (await api(`/api/members/by-key/${key}`)).json()) as { id: string }).id);
      expect(ids[0]).toBeDefined();
      expect(ids[1]).toBe(ids[0]);
      const member = `/api/members/${ids[0]}`;

      const stock = async () =>
        (
          (await (await api('/api/rewards')).json()) as { rewards: { id: string; stock: number }[] }
        ).rewards.find((r) => r.id === 'free-shipping')?.stock;
      const balance = async () =>
        ((await (await api(`${member}/points`)).json()) as { points: number }).points;
      const [stockBefore, balanceBefore] = [await stock(), await balance()];
      const credit = {
        method: 'POST',
        headers: { 'idempotency-key': 'goodwill' },
        body: JSON.stringify({ delta: 500, reason: 'goodwill' }),
      };
      expect((await api(`${member}/points`, credit)).status).toBe(201);
      expect((await api(`${member}/points`, credit)).status).toBe(200);
      const redeem = {
        method: 'POST',
        headers: { 'idempotency-key': 'ship-1' },
        body: JSON.stringify({ rewardId: 'free-shipping' }),
      };
      const first = await api(`${member}/redemptions`, redeem);
      const replay = await api(`${member}/redemptions`, redeem);
      expect([first.status, replay.status]).toEqual([201, 200]);
      const code = (response: Response) =>
        response.json().then((body) => (body as { redemption: { code: string } }).redemption.code);
      expect(await code(replay)).toBe(await code(first));
      // Read twice, so each process answers once: the credit and the redemption counted once each.
      for (let i = 0; i < 2; i++) {
        expect(await balance()).toBe(balanceBefore + 500 - 200);
        expect(await stock()).toBe((stockBefore ?? 0) - 1);
      }
    });
  });
