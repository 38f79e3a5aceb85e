import { TurnContext } from 'botbuilder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnLogic } from '../../../core/channel.js';
import { type DovecotServer, startDovecot } from '../../support/dovecot.js';
import { type CapturingSmtpServer, startSmtpServer } from '../../support/smtp-server.js';
import { type BotLog, echoBot, eventually, type Harness, rawMail, startChannel, SUPPORT } from './harness.js';

let dovecot: DovecotServer;
let smtp: CapturingSmtpServer;
const harnesses: Harness[] = [];

beforeAll(async () => {
  [dovecot, smtp] = await Promise.all([
    startDovecot(['conversation', 'flags', 'loops', 'forged', 'big', 'odd']),
    startSmtpServer(),
  ]);
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.channel.close()));
  await Promise.all([dovecot?.stop(), smtp?.stop()]);
});

/** SMTP messages sent to one customer address. */
function sentTo(address: string) {
  return smtp.received.filter((mail) => mail.envelopeTo.includes(address));
}

describe('email channel against real Dovecot and SMTP', () => {
  it('holds a threaded three-exchange conversation, hands off, and sends the agent reply in the same thread', async () => {
    const customer = 'carla@example.com';
    const log: BotLog = { activities: [] };
    const bot: TurnLogic = async (context) => {
      if (context.activity.type !== 'message') return;
      log.activities.push(context.activity);
      const turn = log.activities.length;
      if (turn === 1)
        await context.sendActivity({
          type: 'message',
          text: 'Hello Carla! What can I do for you?',
          suggestedActions: {
            to: [],
            actions: [
              { type: 'imBack', title: 'Track my order', value: 'track' },
              { type: 'imBack', title: 'Talk to a person', value: 'human' },
            ],
          },
        });
      else if (turn === 2)
        await context.sendActivity(`Order 1234 ships tomorrow. (you wrote: ${context.activity.text})`);
      else await context.sendActivity('I am connecting you with a person from our team.');
    };
    const harness = await startChannel(dovecot, smtp, 'conversation', bot);
    harnesses.push(harness);

    await dovecot.append(
      'conversation',
      rawMail({
        from: `Carla Ruiz <${customer}>`,
        subject: 'My order',
        messageId: '<c1@example.com>',
        text: 'Hi, where is my order?',
      }),
    );
    const [first] = await eventually(() => sentTo(customer).length >= 1).then(() => sentTo(customer));
    expect(first?.parsed.subject).toBe('Re: My order');
    expect(first?.parsed.inReplyTo).toBe('<c1@example.com>');
    expect(first?.parsed.references).toBe('<c1@example.com>');
    expect(first?.parsed.from?.value[0]).toEqual({ address: SUPPORT, name: 'Relevo Support' });
    expect(first?.parsed.text).toContain(
      'Hello Carla! What can I do for you?\n\n1. Track my order\n2. Talk to a person',
    );
    expect(first?.parsed.html).toContain('<ol><li>Track my order</li><li>Talk to a person</li></ol>');
    expect(first?.raw).toMatch(/^Auto-Submitted: auto-replied/m);
    expect(log.activities[0]?.from).toEqual({ id: `email:${customer}`, name: 'Carla Ruiz' });

    // The customer answers our reply, quoting it, as a mail program does.
    const ours1 = first?.parsed.messageId as string;
    await dovecot.append(
      'conversation',
      rawMail({
        from: `Carla Ruiz <${customer}>`,
        subject: 'Re: My order',
        messageId: '<c2@example.com>',
        inReplyTo: ours1,
        references: ['<c1@example.com>', ours1],
        text: `1\n\nOn Mon, 3 Mar 2025 at 10:00, Relevo Support <${SUPPORT}> wrote:\n> Hello Carla! What can I do for you?\n> 1. Track my order`,
      }),
    );
    await eventually(() => sentTo(customer).length >= 2);
    const second = sentTo(customer)[1];
    expect(log.activities[1]?.text).toBe('1');
    expect(second?.parsed.subject).toBe('Re: My order');
    expect(second?.parsed.inReplyTo).toBe('<c2@example.com>');
    expect(second?.parsed.references).toEqual(['<c1@example.com>', ours1, '<c2@example.com>']);

    const ours2 = second?.parsed.messageId as string;
    await dovecot.append(
      'conversation',
      rawMail({
        from: `Carla Ruiz <${customer}>`,
        subject: 'Re: My order',
        messageId: '<c3@example.com>',
        inReplyTo: ours2,
        references: ['<c1@example.com>', ours1, '<c2@example.com>', ours2],
        text: 'It did not arrive. I want to talk to a person.\n\n-- \nCarla Ruiz\nSent with love',
      }),
    );
    await eventually(() => sentTo(customer).length >= 3);
    expect(log.activities[2]?.text).toBe('It did not arrive. I want to talk to a person.');
    // All three turns are one conversation: the thread.
    expect(new Set(log.activities.map((a) => a.conversation?.id))).toEqual(new Set(['<c1@example.com>']));

    // The agent desk replies through continueConversation, as the agent named in the reference.
    const reference = TurnContext.getConversationReference(log.activities[2] ?? {});
    await harness.channel.adapter.continueConversation(
      { ...reference, bot: { id: 'agent:maria', name: 'Maria from Support' } },
      async (context) => {
        await context.sendActivity('Hi Carla, I am Maria. I have sent a new parcel today.');
      },
    );
    const agentReply = sentTo(customer)[3];
    const third = sentTo(customer)[2];
    expect(agentReply?.parsed.from?.value[0]).toEqual({ address: SUPPORT, name: 'Maria from Support' });
    expect(agentReply?.parsed.subject).toBe('Re: My order');
    expect(agentReply?.parsed.inReplyTo).toBe(third?.parsed.messageId);
    expect(agentReply?.parsed.references).toContain('<c1@example.com>');
    expect(agentReply?.parsed.text).toContain('I am Maria');
    expect(agentReply?.raw).not.toMatch(/^Auto-Submitted:/m);
    expect(sentTo(customer)).toHaveLength(4);
  });

  it('marks a message \\Seen once it is durably queued, while its turn may still be running', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let hasStarted = false;
    const harness = await startChannel(
      dovecot,
      smtp,
      'flags',
      echoBot({ activities: [] }, async () => {
        hasStarted = true;
        await gate;
      }),
    );
    harnesses.push(harness);
    const uid = await dovecot.append(
      'flags',
      rawMail({ from: 'dan@example.com', messageId: '<f1@example.com>', text: 'hello' }),
    );
    await eventually(() => hasStarted);
    // Queued: a process dying now leaves the turn to another (test/e2e/channels-restart.test.ts).
    await eventually(async () => (await dovecot.flags('flags', uid)).has('\\Seen'));
    expect(sentTo('dan@example.com')).toHaveLength(0);
    release();
    await eventually(() => sentTo('dan@example.com').length === 1);
  });

  it('never answers auto-replies, bounces or its own mail, and answers the person who writes next', async () => {
    const harness = await startChannel(dovecot, smtp, 'loops', echoBot({ activities: [] }));
    harnesses.push(harness);
    const machine = [
      rawMail({
        from: 'ooo@example.com',
        messageId: '<l1@x>',
        text: 'I am on holiday',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
      rawMail({
        from: 'ooo@example.com',
        messageId: '<l2@x>',
        text: 'Away',
        headers: { 'X-Autoreply': 'yes' },
      }),
      rawMail({
        from: 'ooo@example.com',
        messageId: '<l3@x>',
        text: 'Away',
        headers: { Precedence: 'auto_reply' },
      }),
      rawMail({
        from: 'MAILER-DAEMON@example.com',
        messageId: '<l4@x>',
        contentType: 'multipart/report; report-type=delivery-status; boundary="b"',
        body: '--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; nobody@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--',
      }),
      rawMail({
        from: `Relevo Support <${SUPPORT}>`,
        messageId: '<l5@x>',
        text: 'our own reply, looped back',
      }),
    ];
    for (const raw of machine) await dovecot.append('loops', raw);
    await dovecot.append(
      'loops',
      rawMail({ from: 'eve@example.com', messageId: '<l6@x>', text: 'A real question' }),
    );
    await eventually(() => sentTo('eve@example.com').length === 1);
    expect(sentTo('ooo@example.com')).toHaveLength(0);
    expect(sentTo('mailer-daemon@example.com')).toHaveLength(0);
    expect(sentTo(SUPPORT)).toHaveLength(0);
  });

  it('answers a forged From whose Authentication-Results fail, but flags it so no points are credited', async () => {
    const log: BotLog = { activities: [] };
    const harness = await startChannel(dovecot, smtp, 'forged', echoBot(log));
    harnesses.push(harness);
    await dovecot.append(
      'forged',
      rawMail({
        from: 'ceo@bank.example',
        messageId: '<g1@x>',
        text: 'Give me my points',
        headers: {
          'Authentication-Results':
            'mx.relevo.test; spf=fail smtp.mailfrom=bank.example; dkim=none; dmarc=fail header.from=bank.example',
        },
      }),
    );
    await dovecot.append(
      'forged',
      rawMail({
        from: 'real@bank.example',
        messageId: '<g2@x>',
        text: 'Hello',
        headers: {
          'Authentication-Results': 'mx.relevo.test; spf=pass smtp.mailfrom=bank.example; dmarc=pass',
        },
      }),
    );
    await eventually(() => sentTo('real@bank.example').length === 1);
    expect(sentTo('ceo@bank.example')).toHaveLength(1);
    expect(log.activities.map((a) => a.channelData.hasFailedAuthentication)).toEqual([true, false]);
    expect(log.activities[0]?.channelData.email.senderAuthentication).toBe('fail');
  });

  it('takes a 10 MB attachment and lists it by name and size', async () => {
    const log: BotLog = { activities: [] };
    const harness = await startChannel(dovecot, smtp, 'big', echoBot(log));
    harnesses.push(harness);
    const bytes = Buffer.alloc(10 * 1024 * 1024, 7);
    const base64 = bytes.toString('base64').replace(/.{76}/g, '$&\r\n');
    await dovecot.append(
      'big',
      rawMail({
        from: 'frank@example.com',
        messageId: '<b1@x>',
        contentType: 'multipart/mixed; boundary="mix"',
        body: `--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere is the invoice\r\n--mix\r\nContent-Type: application/pdf; name="invoice.pdf"\r\nContent-Disposition: attachment; filename="invoice.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}\r\n--mix--`,
      }),
    );
    await eventually(() => sentTo('frank@example.com').length === 1, 15_000);
    expect(sentTo('frank@example.com')[0]?.parsed.text).toContain(
      'You wrote: Here is the invoice [invoice.pdf, 10485760 bytes]',
    );
  });

  it('answers HTML-only mail, an empty body, broken MIME and an unknown charset', async () => {
    const log: BotLog = { activities: [] };
    const harness = await startChannel(dovecot, smtp, 'odd', echoBot(log));
    harnesses.push(harness);
    await dovecot.append(
      'odd',
      rawMail({
        from: 'h@example.com',
        messageId: '<o1@x>',
        contentType: 'text/html; charset=utf-8',
        body: '<html><body><p>Can I <b>change</b> my address?</p><div class="gmail_quote">On Tue, 4 Mar 2025, Support wrote:<blockquote>old text</blockquote></div></body></html>',
      }),
    );
    await dovecot.append('odd', rawMail({ from: 'e@example.com', messageId: '<o2@x>', body: '' }));
    await dovecot.append(
      'odd',
      rawMail({
        from: 'b@example.com',
        messageId: '<o3@x>',
        contentType: 'multipart/mixed; boundary="never-closed"',
        body: '--never-closed\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64 at all\r\nstill broken',
      }),
    );
    await dovecot.append(
      'odd',
      rawMail({
        from: 'u@example.com',
        messageId: '<o4@x>',
        contentType: 'text/plain; charset="x-unknown-charset-42"',
        body: 'Hola, necesito ayuda',
      }),
    );
    // Four conversations: their turns run side by side, in no promised order.
    await eventually(
      () =>
        log.activities.length === 4 &&
        ['h', 'e', 'b', 'u'].every((name) => sentTo(`${name}@example.com`).length === 1),
    );
    // The HTML became text, and Gmail's quoted part is gone.
    expect(sentTo('h@example.com')[0]?.parsed.text).toBe('You wrote: Can I change my address?');
    expect(sentTo('h@example.com')[0]?.parsed.text).not.toContain('old text');
    expect(sentTo('e@example.com')[0]?.parsed.text).toContain('You wrote: (nothing)');
    expect(sentTo('b@example.com')).toHaveLength(1);
    expect(sentTo('u@example.com')[0]?.parsed.text).toContain('You wrote: Hola, necesito ayuda');
  });
});
