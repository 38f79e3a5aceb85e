import { MessageFactory } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import {
  parseSlackBody,
  parseSlackConversationId,
  type SlackEventCallback,
  slackConversationId,
  slackEventToActivity,
} from '../../../connectors/slack/inbound.js';
import { renderSlackActivity, toMrkdwn } from '../../../connectors/slack/outbound.js';

const bot = { userId: 'UBOT', botId: 'BBOT' };

function callback(event: Record<string, unknown>): SlackEventCallback {
  return {
    type: 'event_callback',
    team_id: 'T1',
    event_id: 'Ev1',
    event: {
      type: 'message',
      channel: 'D2',
      channel_type: 'im',
      user: 'U3',
      ts: '1700000000.000100',
      ...event,
    },
  } as SlackEventCallback;
}

describe('Slack payloads in and out', () => {
  it("gives a DM the customer identity key slack:<team>/<user> and Slack's event id as activity id", () => {
    const activity = slackEventToActivity(callback({ text: 'hello' }), bot);
    expect(activity).toMatchObject({
      id: 'Ev1',
      channelId: 'slack',
      from: { id: 'slack:T1/U3', role: 'user' },
      conversation: { id: 'T1:D2', conversationType: 'personal' },
      text: 'hello',
    });
  });

  it('keeps a DM written in a thread in that thread', () => {
    const activity = slackEventToActivity(callback({ text: 'more', thread_ts: '1699999999.000001' }), bot);
    expect(activity?.conversation?.id).toBe('T1:D2:1699999999.000001');
  });

  it('round-trips conversation ids and refuses foreign ones', () => {
    const conversation = { team: 'T1', channel: 'C2', threadTs: '1.2' };
    expect(parseSlackConversationId(slackConversationId(conversation))).toEqual(conversation);
    expect(() => parseSlackConversationId('webchat-123')).toThrow(
      expect.objectContaining({ code: 'RELEVO_SLACK_CONVERSATION' }),
    );
  });

  it('reads interactivity forms and refuses bodies that are not Slack payloads', () => {
    const form = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', actions: [] }) });
    expect(parseSlackBody(form.toString(), 'application/x-www-form-urlencoded').type).toBe('block_actions');
    expect(() => parseSlackBody('text=hi', 'application/x-www-form-urlencoded')).toThrow(
      expect.objectContaining({ code: 'RELEVO_SLACK_MALFORMED', statusCode: 400 }),
    );
    expect(() => parseSlackBody('[1,2]', 'application/json')).toThrow(
      expect.objectContaining({ statusCode: 400 }),
    );
  });

  it("posts plain text in the conversation's thread, and skips typing visibly", () => {
    const target = { team: 'T1', channel: 'C2', threadTs: '1.2' };
    expect(renderSlackActivity(MessageFactory.text('Your order ships **today**'), target)).toEqual({
      kind: 'post',
      message: { channel: 'C2', thread_ts: '1.2', text: 'Your order ships *today*' },
    });
    expect(renderSlackActivity({ type: 'typing' }, target)).toMatchObject({ kind: 'skip' });
    expect(renderSlackActivity({ type: 'delay', value: 250 }, target)).toEqual({ kind: 'delay', ms: 250 });
  });

  it('names attachments it cannot show instead of dropping them', () => {
    const activity = MessageFactory.contentUrl(
      'https://example.com/receipt.pdf',
      'application/pdf',
      'Receipt',
    );
    expect(renderSlackActivity(activity, { team: 'T1', channel: 'D2' })).toMatchObject({
      message: { text: 'Receipt: https://example.com/receipt.pdf' },
    });
  });

  it('writes Markdown links the way Slack shows them', () => {
    expect(toMrkdwn('See [our policy](https://example.com/returns)')).toBe(
      'See <https://example.com/returns|our policy>',
    );
  });
});
