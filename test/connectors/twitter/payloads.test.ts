import { createHmac } from 'node:crypto';
import { MessageFactory } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { parseXConversationId, xEventsToInbound } from '../../../connectors/twitter/inbound.js';
import { renderXActivity, sameDmText } from '../../../connectors/twitter/outbound.js';
import { verifyXSignature, xCrcResponse } from '../../../connectors/twitter/verify.js';

const OUR_ID = '100';
const tweet = (fields: Record<string, unknown>) => ({
  for_user_id: OUR_ID,
  tweet_create_events: [
    { id_str: '900', text: '@us hello', user: { id_str: '200', screen_name: 'ana' }, ...fields },
  ],
});

describe('X payloads in and out', () => {
  it('computes the CRC response token as sha256= and the base64 HMAC of the token', () => {
    const expected = createHmac('sha256', 'secret').update('token-1').digest('base64');
    expect(xCrcResponse('secret', 'token-1')).toEqual({ response_token: `sha256=${expected}` });
  });

  it('accepts a body signed with the consumer secret and refuses any other byte', () => {
    const body = '{"for_user_id":"100"}';
    const signature = `sha256=${createHmac('sha256', 'secret').update(body).digest('base64')}`;
    expect(() => verifyXSignature('secret', signature, body)).not.toThrow();
    expect(() => verifyXSignature('secret', signature, `${body} `)).toThrow(
      expect.objectContaining({ code: 'RELEVO_X_SIGNATURE', statusCode: 401 }),
    );
    expect(() => verifyXSignature('secret', undefined, body)).toThrow(
      expect.objectContaining({ statusCode: 401 }),
    );
  });

  it('gives a DM the identity key x:<user id>, X event id, and reads a quick-reply answer as its text', () => {
    const [inbound] = xEventsToInbound(
      {
        for_user_id: OUR_ID,
        direct_message_events: [
          {
            type: 'message_create',
            id: '555',
            created_timestamp: '1700000000000',
            message_create: {
              sender_id: '200',
              target: { recipient_id: OUR_ID },
              message_data: { text: 'Yes', quick_reply_response: { type: 'options', metadata: 'confirm' } },
            },
          },
        ],
      },
      OUR_ID,
    );
    expect(inbound?.activity).toMatchObject({
      id: '555',
      channelId: 'x',
      from: { id: 'x:200' },
      conversation: { id: 'dm:200' },
      text: 'confirm',
    });
  });

  it('ignores retweets, our own posts and bodies meant for another account', () => {
    expect(xEventsToInbound(tweet({ retweeted_status: {} }), OUR_ID)).toEqual([]);
    expect(xEventsToInbound(tweet({ user: { id_str: OUR_ID } }), OUR_ID)).toEqual([]);
    expect(xEventsToInbound({ ...tweet({}), for_user_id: '999' }, OUR_ID)).toEqual([]);
    expect(xEventsToInbound(tweet({}), OUR_ID)).toHaveLength(1);
  });

  it('refuses conversation ids of other channels', () => {
    expect(parseXConversationId('dm:200')).toBe('200');
    expect(() => parseXConversationId('T1:D2')).toThrow(
      expect.objectContaining({ code: 'RELEVO_X_CONVERSATION' }),
    );
  });

  it('keeps a public reply within 280 characters and sends nothing for typing', () => {
    const long = MessageFactory.text('x'.repeat(400));
    const reply = renderXActivity(long, { participantId: '200', publicReplyTo: '900' });
    expect(reply).toMatchObject({ kind: 'reply', tweetId: '900' });
    expect(reply.kind === 'reply' && [...reply.text].length).toBe(280);
    expect(renderXActivity({ type: 'typing' }, { participantId: '200' })).toMatchObject({ kind: 'skip' });
  });

  it("recognises a DM we sent in X's copy of it: links as t.co, entities escaped, other words exact", () => {
    const sent = 'Track it: https://track.example.com/p/1?a=b&c=d\n\n1. Yes & no\n2. www.example.com';
    const shown = 'Track it: https://t.co/AbC123xYz0\n\n1. Yes &amp; no\n2. https://t.co/Zz9';
    const dm = (text?: string, urls?: { url: string; expanded_url: string }[]) => ({
      id: '1',
      event_type: 'MessageCreate',
      ...(text === undefined ? {} : { text }),
      ...(urls ? { entities: { urls } } : {}),
    });
    expect(sameDmText(sent, dm(shown))).toBe(true);
    expect(sameDmText('Your order 1234 ships today.', dm('Your order 1234 ships today.'))).toBe(true);
    expect(sameDmText('Your order 1234 ships today.', dm('Your order 1235 ships today.'))).toBe(false);
    expect(sameDmText('Track it: https://a.example/1', dm('Track it here: https://t.co/x'))).toBe(false);
    expect(sameDmText('Hi', dm())).toBe(false);
  });

  it("tells DMs that differ only in a link apart by the link's target, where X gives it", () => {
    const shown = (target: string) => ({
      id: '1',
      event_type: 'MessageCreate',
      text: 'Track: https://t.co/AbC123xYz0',
      entities: { urls: [{ url: 'https://t.co/AbC123xYz0', expanded_url: target }] },
    });
    expect(sameDmText('Track: https://track.example.com/A', shown('https://track.example.com/A'))).toBe(true);
    expect(sameDmText('Track: https://track.example.com/A', shown('https://track.example.com/B'))).toBe(
      false,
    );
    // X expands a bare domain with a scheme and a last slash.
    expect(sameDmText('Track: www.Example.com', shown('http://www.example.com/'))).toBe(true);
  });
});
