import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import { silentLogger } from '../../core/logger.js';
import { hashAgentPassword } from '../../handoff/index.js';
import { NluRecognizer } from '../../nlu-models/index.js';
import { FAKE_SLACK_BOT, type FakeSlack, signedSlackRequest, startFakeSlack } from '../support/fake-slack.js';

export const TOKEN = 'demo-kpis-token-0123456789';
const SLACK_SECRET = 'demo-kpis-signing-secret-0123';
export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** One customer message the bot (not a person) handled, as the NLU saw it: for the sentiment KPIs. */
export interface BotTurn {
  at: number;
  text: string;
  locale: string;
}

/**
 * The running agent of the demo: one composed Relevo (web chat over Direct Line, Slack through a
 * fake Slack on loopback, the desk, loyalty, analytics) on the suite's Redis, on a clock the test
 * moves by hand so every duration in the KPIs is known in advance.
 */
export interface DemoAgent {
  relevo: Relevo;
  base: string;
  recognizer: NluRecognizer;
  slack: FakeSlack;
  /** Midnight UTC of the demo's first day; the demo starts at 09:00. */
  day: number;
  /** Moves the clock to `minutes` after 09:00 of the first day. */
  at(minutes: number): void;
  /** Every customer turn the bot handled, in order. */
  botTurns: BotTurn[];
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The desk's API as agent `agentId` (API token + `X-Relevo-Agent`, as a hub or the console would). */
  desk(path: string, agentId: string, init?: RequestInit): Promise<Response>;
  webchat(locale: string): Promise<WebChat>;
  slackDm(user: string): SlackDm;
  close(): Promise<void>;
}

export interface WebChat {
  /** The customer's identity key, for the admin API. */
  identityKey: string;
  say(text: string, options?: { toBot?: boolean }): Promise<void>;
  /** The bot's and the agents' messages so far. */
  replies(): Promise<string[]>;
}

export interface SlackDm {
  identityKey: string;
  say(text: string, options?: { toBot?: boolean }): Promise<void>;
}

export async function startDemoAgent(redisUrl: string): Promise<DemoAgent> {
  const day = Math.floor(Date.now() / DAY) * DAY + DAY;
  const start = day + 9 * 60 * MINUTE;
  let now = start;
  const clock = { now: () => now };
  const [slack, recognizer, agentHash, supervisorHash] = await Promise.all([
    startFakeSlack(),
    NluRecognizer.create({ logger: silentLogger }),
    hashAgentPassword('ana-secret', { N: 1024 }),
    hashAgentPassword('sam-secret', { N: 1024 }),
  ]);
  const accounts = [
    { id: 'ana', name: 'Ana', role: 'agent', passwordHash: agentHash, languages: ['en', 'es'] },
    { id: 'sam', name: 'Sam', role: 'supervisor', passwordHash: supervisorHash, languages: ['en'] },
  ];
  const relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      RELEVO_API_TOKEN: TOKEN,
      AGENT_ACCOUNTS: JSON.stringify(accounts),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `demo-${randomUUID().slice(0, 8)}`,
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_BOT_TOKEN: 'xoxb-demo-token',
      SLACK_API_URL: slack.url,
      // The waiting waypoint would only add a callback offer to the transcript.
      HANDOFF_WAITING_MS: String(DAY),
    }),
    logger: silentLogger,
    recognizer,
    clock,
  });
  const base = `http://127.0.0.1:${(await relevo.listen()).port}`;
  const botTurns: BotTurn[] = [];
  // Every turn, and what it sends, has finished before the clock moves on.
  const settle = async () => {
    expect(await relevo.inFlight.drain(15_000)).toBe(true);
  };
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });
  let slackSeq = 0;

  return {
    relevo,
    base,
    recognizer,
    slack,
    day,
    at: (minutes) => {
      now = start + minutes * MINUTE;
    },
    botTurns,
    api,
    desk: (path, agentId, init = {}) => api(path, { ...init, headers: { 'x-relevo-agent': agentId } }),
    webchat: async (locale) => {
      const grant = (await (
        await fetch(`${base}/v3/directline/conversations`, { method: 'POST' })
      ).json()) as {
        conversationId: string;
        token: string;
      };
      const url = `${base}/v3/directline/conversations/${grant.conversationId}/activities`;
      const headers = { authorization: `Bearer ${grant.token}`, 'content-type': 'application/json' };
      const activities = async () =>
        (
          (await (await fetch(url, { headers })).json()) as {
            activities: { type: string; text?: string; from: { id: string; role?: string } }[];
          }
        ).activities;
      const chat: WebChat = {
        identityKey: '',
        say: async (text, options = {}) => {
          const response = await fetch(url, {
            method: 'POST',
            headers,
            body: JSON.stringify({ type: 'message', text, locale }),
          });
          expect(response.status).toBe(200);
          if (options.toBot !== false) botTurns.push({ at: now, text, locale });
          await settle();
          if (!chat.identityKey) {
            const user = (await activities()).find((a) => a.from.role === 'user');
            chat.identityKey = `webchat:${user?.from.id}`;
          }
        },
        replies: async () =>
          (await activities())
            .filter((a) => a.type === 'message' && a.from.role !== 'user')
            .map((a) => a.text ?? ''),
      };
      return chat;
    },
    slackDm: (user) => ({
      identityKey: `slack:${FAKE_SLACK_BOT.team}/${user}`,
      say: async (text, options = {}) => {
        slackSeq += 1;
        const ts = `${Math.floor(now / 1000)}.${String(slackSeq).padStart(6, '0')}`;
        const body = JSON.stringify({
          token: 'legacy-token',
          team_id: FAKE_SLACK_BOT.team,
          api_app_id: 'A0RELEVO',
          type: 'event_callback',
          event_id: `EvDemo${slackSeq}`,
          event_time: Math.floor(now / 1000),
          event: {
            type: 'message',
            channel: `D0${user}`,
            channel_type: 'im',
            user,
            team: FAKE_SLACK_BOT.team,
            text,
            ts,
            event_ts: ts,
          },
        });
        const response = await fetch(`${base}/slack/events`, signedSlackRequest(SLACK_SECRET, body));
        expect(response.status).toBe(200);
        if (options.toBot !== false) botTurns.push({ at: now, text, locale: 'en' });
        await settle();
      },
    }),
    close: async () => {
      await relevo.close();
      await slack.close();
    },
  };
}
