import { describe, expect, it } from 'vitest';
import { parseMail, toActivity } from '../../../connectors/email/inbound.js';
import { createEmailChannel } from '../../../connectors/email/index.js';
import { replySubject, toMailMessage } from '../../../connectors/email/outbound.js';
import {
  checkSenderAuthentication,
  detectAutomatic,
  type HeaderLine,
} from '../../../connectors/email/verify.js';
import { createStores } from '../../../storage/stores.js';
import { rawMail, SUPPORT } from './harness.js';

function lines(headers: Record<string, string>): HeaderLine[] {
  return Object.entries(headers).map(([name, value]) => ({
    key: name.toLowerCase(),
    line: `${name}: ${value}`,
  }));
}

const activityOptions = { uidValidity: '7', uid: 3, ownAddress: SUPPORT, botName: 'Relevo' };

describe('reading a customer email', () => {
  it('keeps only the new text of a reply: no quoted Gmail, Outlook or Spanish reply, no signature', async () => {
    const cases: [string, string][] = [
      [
        'Yes please\n\nOn Mon, 3 Mar 2025 at 10:00, Relevo <support@relevo.test>\nwrote:\n> Shall I?',
        'Yes please',
      ],
      ['Sí, gracias\n\nEl lun, 3 mar 2025 a las 10:00, Relevo escribió:\n> ¿Lo hago?', 'Sí, gracias'],
      ['Thanks!\n\n-----Original Message-----\nFrom: Relevo\nSent: Monday\nSubject: x', 'Thanks!'],
      ['Thanks!\n\nFrom: Relevo <support@relevo.test>\nSent: Monday, March 3\nTo: Ana', 'Thanks!'],
      ['My order is late\n\n-- \nAna Pérez\nACME Corp', 'My order is late'],
      ['Call me\n\nSent from my iPhone', 'Call me'],
      ['> quoted first\nmy answer below the quote', 'my answer below the quote'],
    ];
    for (const [text, expected] of cases) {
      const mail = await parseMail(Buffer.from(rawMail({ messageId: '<q@x>', text })));
      expect(mail.text).toBe(expected);
    }
  });

  it('maps a message to an activity with the identity key, display name, thread and UID-based id', async () => {
    const mail = await parseMail(
      Buffer.from(
        rawMail({
          from: 'Ana Pérez <Ana@Example.COM>',
          messageId: '<m2@example.com>',
          inReplyTo: '<ours@relevo.test>',
          references: ['<m1@example.com>', '<ours@relevo.test>'],
          text: 'hello',
        }),
      ),
    );
    const result = toActivity(mail, activityOptions);
    expect(result.kind).toBe('activity');
    if (result.kind !== 'activity') return;
    expect(result.activity).toMatchObject({
      id: '7:3',
      channelId: 'email',
      from: { id: 'email:ana@example.com', name: 'Ana Pérez' },
      conversation: { id: '<m1@example.com>' },
      text: 'hello',
      channelData: { hasFailedAuthentication: false, email: { messageId: '<m2@example.com>', uid: 3 } },
    });
  });

  it('recognises machine-written mail so it is never answered', () => {
    expect(detectAutomatic(lines({ 'Auto-Submitted': 'auto-replied' }), 'a@x', SUPPORT)).toBe('auto-reply');
    expect(detectAutomatic(lines({ 'Auto-Submitted': 'no' }), 'a@x', SUPPORT)).toBeUndefined();
    expect(detectAutomatic(lines({ 'X-Autoreply': 'yes' }), 'a@x', SUPPORT)).toBe('auto-reply');
    expect(detectAutomatic(lines({ Precedence: 'bulk' }), 'a@x', SUPPORT)).toBe('bulk');
    expect(detectAutomatic(lines({ 'X-Auto-Response-Suppress': 'OOF' }), 'a@x', SUPPORT)).toBe('auto-reply');
    expect(detectAutomatic(lines({ 'Return-Path': '<>' }), 'a@x', SUPPORT)).toBe('bounce');
    expect(
      detectAutomatic(
        lines({ 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=b' }),
        'a@x',
        SUPPORT,
      ),
    ).toBe('bounce');
    expect(detectAutomatic(lines({}), SUPPORT.toUpperCase(), SUPPORT)).toBe('own-message');
    expect(detectAutomatic(lines({ Subject: 'hello' }), 'a@x', SUPPORT)).toBeUndefined();
  });

  it('reads Authentication-Results: DMARC decides, else SPF or DKIM, and only a trusted server counts', () => {
    const header = (value: string) => lines({ 'Authentication-Results': value });
    expect(checkSenderAuthentication(header('mx.test; dmarc=fail header.from=bank.example'))).toBe('fail');
    expect(checkSenderAuthentication(header('mx.test; spf=softfail; dkim=none'))).toBe('fail');
    expect(checkSenderAuthentication(header('mx.test; spf=fail; dkim=pass'))).toBe('pass');
    expect(checkSenderAuthentication(header('mx.test; dkim=pass; dmarc=pass'))).toBe('pass');
    expect(checkSenderAuthentication(lines({}))).toBe('none');
    // A header the sender wrote itself, from a server we do not trust, is not believed.
    expect(checkSenderAuthentication(header('evil.example; dmarc=pass'), ['mx.relevo.test'])).toBe('none');
    expect(checkSenderAuthentication(header('mx.relevo.test; dmarc=fail'), ['mx.relevo.test'])).toBe('fail');
  });
});

describe('writing a reply', () => {
  const thread = {
    customer: { address: 'ana@example.com', name: 'Ana' },
    subject: 'My order',
    lastMessageId: '<m2@example.com>',
    references: ['<m1@example.com>', '<ours@relevo.test>'],
  };
  const render = {
    fromAddress: SUPPORT,
    defaultFromName: 'Relevo',
    isAutomatic: true,
  };

  it('threads the reply and adds one Re: to the subject', () => {
    expect(replySubject('Re: RE: Fwd: My order')).toBe('Re: My order');
    expect(replySubject('')).toBe('Re: (no subject)');
    const mail = toMailMessage({ type: 'message', text: 'Hi' }, thread, render);
    expect(mail).toMatchObject({
      subject: 'Re: My order',
      inReplyTo: '<m2@example.com>',
      references: ['<m1@example.com>', '<ours@relevo.test>', '<m2@example.com>'],
      from: { name: 'Relevo', address: SUPPORT },
      to: { name: 'Ana', address: 'ana@example.com' },
      text: 'Hi',
    });
  });

  it('shows a hero card and its buttons as text and HTML, and sends nothing for typing', () => {
    const mail = toMailMessage(
      {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.hero',
            content: {
              title: 'Gold tier',
              text: 'You have 120 points',
              buttons: [{ type: 'imBack', title: 'Redeem', value: 'r' }],
            },
          },
        ],
      },
      thread,
      render,
    );
    expect(mail?.text).toBe('Gold tier\nYou have 120 points\n1. Redeem');
    expect(mail?.html).toContain('<h3>Gold tier</h3>');
    expect(toMailMessage({ type: 'typing' }, thread, render)).toBeUndefined();
  });
});

describe('the email channel setting', () => {
  it('is off and says which settings are missing', async () => {
    const stores = await createStores();
    const channel = createEmailChannel({
      imapUrl: 'imap://u:p@127.0.0.1:143',
      smtpUrl: undefined,
      from: undefined,
      storage: stores.storage,
      stores,
      bot: async () => {},
    });
    expect(channel.health()).toEqual({ status: 'off', detail: 'SMTP_URL, EMAIL_FROM not set' });
  });
});
