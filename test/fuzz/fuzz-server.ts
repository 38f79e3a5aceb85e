import { loadConfig } from '../../bots/config.js';
import { createRelevo, type Relevo } from '../../bots/relevo.js';
import type { WebChatAdapter } from '../../connectors/webchat/adapter.js';
import { signToken } from '../../connectors/webchat/verify.js';
import type { Logger } from '../../core/logger.js';
import { hashAgentPassword } from '../../handoff/agent-accounts.js';
import {
  type FakeBotFrameworkTokens,
  startFakeBotFrameworkTokens,
} from '../support/fake-botframework-tokens.js';
import { type FakeSlack, startFakeSlack } from '../support/fake-slack.js';
import { type FakeX, startFakeX } from '../support/fake-x.js';

/** Every secret of the fuzzed server; the fuzz forges, expires and mangles each of them. */
export const FUZZ_SECRETS = {
  directLine: 'fuzz-directline-secret-000000000001',
  slackSigning: 'fuzz-slack-signing-secret',
  xConsumer: 'fuzz-x-consumer-secret',
  apiToken: 'fuzz-api-token-00000000000000000001',
  hub: 'fuzz-hub-secret-0000000000000000000000000001',
  agentPassword: 'fuzz agent password',
} as const;
export const FUZZ_X_USER_ID = '1000000000000000001';
export const FUZZ_APP_ID = 'fuzz-app-id-0000-0000-000000000001';
/** Small, so that bodies beyond it are cheap to send ten thousand times. */
export const FUZZ_MAX_BODY_BYTES = 32 * 1024;

/** What the generators need to aim at real things: a conversation, its token, a logged-in agent. */
export interface FuzzContext {
  port: number;
  conversationId: string;
  token: string;
  expiredToken: string;
  sessionCookie: string;
  csrfToken: string;
  botFramework: BotFrameworkFuzzContext;
}

/** A well-formed Bot Framework activity, and channel tokens for it as the fake token service signs them. */
export interface BotFrameworkFuzzContext {
  activity: Record<string, unknown>;
  validToken: string;
  /** Structurally valid JWTs that must each be refused: forged key, another bot, another service URL, another issuer. */
  forgedTokens: string[];
  expiredToken: string;
}

export interface FuzzServer {
  relevo: Relevo;
  context: FuzzContext;
  /** Every error the server logged. */
  errors: { obj: unknown; msg: string | undefined }[];
  close(): Promise<void>;
}

/**
 * The real composed server (`createRelevo`) with every HTTP channel on — Direct Line with a secret,
 * `/api/messages` with an app id whose channel tokens come from the fake token service,
 * Slack against the fake Slack (Bolt calls `auth.test` at start), X against the fake X, the API token,
 * one agent account and a hub secret — plus a conversation, a token and an agent session to aim at.
 */
export async function startFuzzServer(env: Record<string, string> = {}): Promise<FuzzServer> {
  const slack: FakeSlack = await startFakeSlack();
  const x: FakeX = await startFakeX(FUZZ_X_USER_ID);
  const tokens: FakeBotFrameworkTokens = await startFakeBotFrameworkTokens(['webchat']);
  const errors: FuzzServer['errors'] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn() {},
    error(obj, msg) {
      errors.push({ obj, msg });
    },
    child: () => logger,
  };
  const passwordHash = await hashAgentPassword(FUZZ_SECRETS.agentPassword, { N: 1024 });
  const relevo = await createRelevo({
    config: loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DIRECTLINE_SECRET: FUZZ_SECRETS.directLine,
      SLACK_SIGNING_SECRET: FUZZ_SECRETS.slackSigning,
      SLACK_BOT_TOKEN: 'xoxb-fuzz-token',
      SLACK_API_URL: slack.url,
      X_CONSUMER_KEY: 'fuzz-ck',
      X_CONSUMER_SECRET: FUZZ_SECRETS.xConsumer,
      X_ACCESS_TOKEN: 'fuzz-at',
      X_ACCESS_SECRET: 'fuzz-as',
      X_USER_ID: FUZZ_X_USER_ID,
      X_API_URL: x.url,
      MicrosoftAppId: FUZZ_APP_ID,
      MicrosoftAppPassword: 'fuzz-app-password',
      BOTFRAMEWORK_OPENID_METADATA_URL: tokens.metadataUrl,
      RELEVO_API_TOKEN: FUZZ_SECRETS.apiToken,
      HANDOFF_HUB_URL: 'http://127.0.0.1:9/hub',
      HANDOFF_HUB_SECRET: FUZZ_SECRETS.hub,
      AGENT_ACCOUNTS: JSON.stringify([{ id: 'ana', name: 'Ana', role: 'supervisor', passwordHash }]),
      MAX_BODY_BYTES: String(FUZZ_MAX_BODY_BYTES),
      ...env,
    }),
    logger,
  });
  const { port } = await relevo.listen();
  const base = `http://127.0.0.1:${port}`;

  const started = await fetch(`${base}/v3/directline/conversations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${FUZZ_SECRETS.directLine}` },
  });
  const { conversationId, token } = (await started.json()) as { conversationId: string; token: string };
  const webchat = relevo.channels.find((channel) => channel.name === 'webchat')?.adapter as WebChatAdapter;
  const expiredToken = signToken(
    { conversationId, userId: 'anon-expired', expiresAt: Date.now() - 60_000 },
    await webchat.store.signingKey(),
  );
  const login = await fetch(`${base}/api/agent/login`, {
    method: 'POST',
    body: JSON.stringify({ agentId: 'ana', password: FUZZ_SECRETS.agentPassword }),
  });
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const sessionCookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

  return {
    relevo,
    errors,
    context: {
      port,
      conversationId,
      token,
      expiredToken,
      sessionCookie,
      csrfToken,
      botFramework: botFrameworkContext(tokens),
    },
    close: async () => {
      await relevo.close();
      await slack.close();
      await x.close();
      await tokens.close();
    },
  };
}

function botFrameworkContext(tokens: FakeBotFrameworkTokens): BotFrameworkFuzzContext {
  // Replies would go here; the fuzz's activities are refused or answered in the response.
  const serviceUrl = 'http://127.0.0.1:9/connector';
  const valid = { audience: FUZZ_APP_ID, serviceUrl };
  return {
    activity: {
      type: 'message',
      id: 'fuzz-activity-1',
      text: 'Where is my order?',
      channelId: 'webchat',
      serviceUrl,
      conversation: { id: 'fuzz-bf-conv-1' },
      from: { id: 'fuzz-user-1' },
      recipient: { id: FUZZ_APP_ID },
    },
    validToken: tokens.sign(valid),
    forgedTokens: [
      tokens.sign({ ...valid, key: tokens.forgedKey() }),
      tokens.sign({ ...valid, audience: 'another-bot' }),
      tokens.sign({ ...valid, serviceUrl: 'https://smba.trafficmanager.net/emea/' }),
      tokens.sign({ ...valid, issuer: 'https://sts.example.com/' }),
    ],
    expiredToken: tokens.sign({ ...valid, expiresAt: Math.floor(Date.now() / 1000) - 3600 }),
  };
}
