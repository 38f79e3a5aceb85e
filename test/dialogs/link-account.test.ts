import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentComposition, composeAgent } from '../../bots/compose-agent.js';
import { loadConfig } from '../../bots/config.js';
import { silentLogger } from '../../core/logger.js';
import { createStores, type Stores } from '../../storage/stores.js';
import { CollectingAdapter } from '../support/collecting-adapter.js';
import { type CapturingSmtpServer, startSmtpServer } from '../support/smtp-server.js';

describe('linking an account by an emailed code', () => {
  let smtp: CapturingSmtpServer;
  let stores: Stores;
  let agent: AgentComposition;
  let adapter: CollectingAdapter;

  const replies = () =>
    adapter.sent
      .splice(0)
      .filter((activity) => activity.type === 'message')
      .map((activity) => activity.text);

  beforeAll(async () => {
    smtp = await startSmtpServer();
    stores = await createStores({});
    agent = await composeAgent({
      config: loadConfig({ SMTP_URL: smtp.url, EMAIL_FROM: 'support@relevo.example' }),
      logger: silentLogger,
      stores,
    });
    adapter = new CollectingAdapter({ pipeline: agent.pipeline });
    adapter.logic = agent.bot;
  });

  afterAll(async () => {
    await stores?.close();
    await smtp?.stop();
  });

  it('joins the web chat visitor to their email identity, with one balance on both channels', async () => {
    const webchat = { userId: 'webchat:anon-visitor-1', channelId: 'webchat', conversationId: 'web-1' };
    await adapter.say('link my account', webchat);
    expect(replies()).toEqual(["What's the email address of your account? I'll send it a 6-digit code."]);
    await adapter.say('ana@example.com', webchat);
    expect(replies()).toEqual([
      'I sent a code to ana@example.com. Please type it here (it is valid for 10 minutes).',
    ]);

    const [mail] = await smtp.waitFor(1);
    expect(mail?.envelopeTo).toEqual(['ana@example.com']);
    const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1] as string;
    const wrong = code === '000000' ? '111111' : '000000';

    await adapter.say(wrong, webchat);
    expect(replies()).toEqual(["That code isn't right. 4 tries left."]);
    await adapter.say(code, webchat);
    expect(replies()).toEqual([
      'Your accounts are linked. Your points and history now follow you on every channel.',
      'Anything else I can help with?',
    ]);

    const viaWeb = await agent.identity.members.findByKey('webchat:anon-visitor-1');
    const viaEmail = await agent.identity.members.findByKey('email:ana@example.com');
    expect(viaWeb?.id).toBeDefined();
    expect(viaEmail?.id).toBe(viaWeb?.id);

    // The same customer writes by email: same member, the linking bonus in one balance.
    const email = { userId: 'email:ana@example.com', channelId: 'email', conversationId: 'mail-thread-1' };
    await adapter.say('how many points do I have?', email);
    const [balance] = replies();
    expect(balance).toMatch(/^You have (\d+) points/);
    expect(Number(/You have (\d+) points/.exec(balance ?? '')?.[1])).toBeGreaterThanOrEqual(100);
  });

  it('links an account in Spanish, and a wrong code five times voids it', async () => {
    const webchat = {
      userId: 'webchat:anon-visitor-2',
      channelId: 'webchat',
      conversationId: 'web-2',
      locale: 'es-ES',
    };
    await adapter.say('quiero vincular mi cuenta', webchat);
    expect(replies()).toEqual(['¿Cuál es el correo de tu cuenta? Te enviaré un código de 6 cifras.']);
    await adapter.say('luis@example.com', webchat);
    expect(replies()).toEqual(['He enviado un código a luis@example.com. Escríbelo aquí (vale 10 minutos).']);
    const mail = (await smtp.waitFor(2)).find((each) => each.envelopeTo.includes('luis@example.com'));
    const code = /\b(\d{6})\b/.exec(mail?.parsed.text ?? '')?.[1] as string;
    const wrong = code === '000000' ? '111111' : '000000';
    for (const left of [4, 3, 2, 1]) {
      await adapter.say(wrong, webchat);
      expect(replies()).toEqual([`Ese código no es correcto. Te quedan ${left} intentos.`]);
    }
    await adapter.say(wrong, webchat);
    expect(replies()).toEqual(['No he podido vincular las cuentas: el código no es correcto']);
    // The right code no longer works: the customer must ask for a new one.
    expect(await agent.identity.members.findByKey('email:luis@example.com')).toBeUndefined();
  });
});
