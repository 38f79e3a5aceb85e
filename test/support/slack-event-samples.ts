/**
 * Slack payloads as Slack documents them (api.slack.com/events/*, the block_actions reference) and as
 * `@slack/types` types them, with every field Slack sends, not only those Relevo reads: a check that
 * refuses one of these is too strict. Each names the customer's words when it should run a turn.
 */
export interface SlackSample {
  name: string;
  body: Record<string, unknown>;
  /** How the body is posted: Events API callbacks as JSON, interactivity as a `payload` form field. */
  form?: boolean;
  /** The text its turn reads, when it runs one. */
  turn?: string;
}

const TEAM = 'T0RELEVO';
const APP = 'A0RELEVO';

function callback(n: number, event: Record<string, unknown>): Record<string, unknown> {
  return {
    token: 'XXYYZZ',
    team_id: TEAM,
    context_team_id: TEAM,
    context_enterprise_id: null,
    api_app_id: APP,
    event,
    type: 'event_callback',
    event_id: `Ev0SAMPLE${n}`,
    event_time: 1700000300 + n,
    authorizations: [
      { enterprise_id: null, team_id: TEAM, user_id: 'UBOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
    event_context: `4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMFJFTEVWTyJ9-${n}`,
  };
}

const richText = (text: string) => [
  {
    type: 'rich_text',
    block_id: 'Xn3a',
    elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
  },
];

/** Built for a bot whose user id is `botUserId`. */
export function slackEventSamples(botUserId: string): SlackSample[] {
  const events: [string, Record<string, unknown>, string?][] = [
    [
      'a DM (message.im)',
      {
        client_msg_id: 'a9b8c7d6-0000-4000-8000-000000000001',
        type: 'message',
        text: 'Where is my parcel?',
        user: 'U0ANA',
        ts: '1700000301.000100',
        blocks: richText('Where is my parcel?'),
        team: TEAM,
        channel: 'D0CUSTOMER',
        event_ts: '1700000301.000100',
        channel_type: 'im',
      },
      'Where is my parcel?',
    ],
    [
      'an edit (message_changed)',
      {
        type: 'message',
        subtype: 'message_changed',
        message: {
          client_msg_id: 'a9b8c7d6-0000-4000-8000-000000000001',
          type: 'message',
          text: 'Where is my parcel??',
          user: 'U0ANA',
          team: TEAM,
          edited: { user: 'U0ANA', ts: '1700000302.000000' },
          blocks: richText('Where is my parcel??'),
          ts: '1700000301.000100',
          source_team: TEAM,
          user_team: TEAM,
        },
        previous_message: {
          type: 'message',
          text: 'Where is my parcel?',
          user: 'U0ANA',
          ts: '1700000301.000100',
        },
        channel: 'D0CUSTOMER',
        hidden: true,
        ts: '1700000302.000200',
        event_ts: '1700000302.000200',
        channel_type: 'im',
      },
    ],
    [
      'a deletion (message_deleted)',
      {
        type: 'message',
        subtype: 'message_deleted',
        previous_message: { type: 'message', text: 'oops', user: 'U0ANA', ts: '1700000290.000100' },
        channel: 'D0CUSTOMER',
        hidden: true,
        deleted_ts: '1700000290.000100',
        event_ts: '1700000303.000300',
        ts: '1700000303.000300',
        channel_type: 'im',
      },
    ],
    [
      "another app's post (bot_message)",
      {
        type: 'message',
        subtype: 'bot_message',
        text: 'Deploy finished',
        ts: '1700000304.000400',
        username: 'deploybot',
        icons: { image_48: 'https://example.com/bot.png' },
        bot_id: 'B0DEPLOY',
        app_id: 'A0DEPLOY',
        blocks: [],
        channel: 'C0GENERAL',
        event_ts: '1700000304.000400',
        channel_type: 'channel',
      },
    ],
    [
      'our own DM reply, echoed',
      {
        type: 'message',
        text: 'Your parcel is on its way.',
        user: botUserId,
        bot_id: 'BBOT',
        app_id: APP,
        bot_profile: { id: 'BBOT', app_id: APP, name: 'Relevo', team_id: TEAM, deleted: false },
        ts: '1700000305.000500',
        team: TEAM,
        channel: 'D0CUSTOMER',
        event_ts: '1700000305.000500',
        channel_type: 'im',
      },
    ],
    [
      'channel chatter without a mention',
      {
        client_msg_id: 'a9b8c7d6-0000-4000-8000-000000000006',
        type: 'message',
        text: 'lunch?',
        user: 'U0BOB',
        ts: '1700000306.000600',
        blocks: richText('lunch?'),
        team: TEAM,
        channel: 'C0GENERAL',
        event_ts: '1700000306.000600',
        channel_type: 'channel',
      },
    ],
    [
      'a reply in a thread, broadcast to the channel (thread_broadcast)',
      {
        type: 'message',
        subtype: 'thread_broadcast',
        text: 'also this',
        user: 'U0BOB',
        ts: '1700000307.000700',
        thread_ts: '1700000306.000600',
        root: { text: 'lunch?', user: 'U0BOB', ts: '1700000306.000600' },
        channel: 'C0GENERAL',
        event_ts: '1700000307.000700',
        channel_type: 'channel',
      },
    ],
    [
      'a mention (app_mention)',
      {
        client_msg_id: 'a9b8c7d6-0000-4000-8000-000000000008',
        type: 'app_mention',
        text: `<@${botUserId}> can I return these shoes?`,
        user: 'U0ANA',
        ts: '1700000308.000800',
        blocks: richText('can I return these shoes?'),
        team: TEAM,
        channel: 'C0GENERAL',
        event_ts: '1700000308.000800',
      },
      'can I return these shoes?',
    ],
    [
      'a reaction (reaction_added)',
      {
        type: 'reaction_added',
        user: 'U0ANA',
        reaction: 'thumbsup',
        item_user: botUserId,
        item: { type: 'message', channel: 'D0CUSTOMER', ts: '1700000305.000500' },
        event_ts: '1700000309.000900',
      },
    ],
    [
      'the app home opened (app_home_opened)',
      {
        type: 'app_home_opened',
        user: 'U0ANA',
        channel: 'D0CUSTOMER',
        tab: 'messages',
        event_ts: '1700000310.001000',
      },
    ],
    [
      'a new member (team_join, whose user is an object)',
      {
        type: 'team_join',
        user: { id: 'U0NEW', team_id: TEAM, name: 'new', is_bot: false },
        event_ts: '1700000311.001100',
      },
    ],
  ];
  const click = (n: number, fields: Record<string, unknown>) => ({
    type: 'block_actions',
    user: { id: 'U0ANA', username: 'ana', name: 'ana', team_id: TEAM },
    api_app_id: APP,
    token: 'XXYYZZ',
    trigger_id: `1700000312.${n}.0c1d2e3f`,
    enterprise: null,
    is_enterprise_install: false,
    ...fields,
  });
  return [
    ...events.map(([name, event, turn], n) => ({
      name,
      body: callback(n, event),
      ...(turn ? { turn } : {}),
    })),
    {
      name: 'a click on one of our suggested-action buttons',
      form: true,
      turn: 'Track my order',
      body: click(1, {
        container: {
          type: 'message',
          message_ts: '1700000305.000500',
          channel_id: 'D0CUSTOMER',
          is_ephemeral: false,
        },
        team: { id: TEAM, domain: 'relevo' },
        channel: { id: 'D0CUSTOMER', name: 'directmessage' },
        message: {
          type: 'message',
          user: botUserId,
          ts: '1700000305.000500',
          bot_id: 'BBOT',
          text: 'Anything else?',
        },
        state: { values: {} },
        response_url: 'https://hooks.slack.com/actions/T0RELEVO/1/abc',
        actions: [
          {
            action_id: 'relevo_choice_0',
            block_id: 'relevo_choices',
            text: { type: 'plain_text', text: 'Track my order', emoji: true },
            value: 'Track my order',
            type: 'button',
            action_ts: '1700000312.000100',
          },
        ],
      }),
    },
    {
      name: 'a choice in a modal (no channel, no message, team null)',
      form: true,
      body: click(2, {
        container: { type: 'view', view_id: 'V0MODAL' },
        team: null,
        enterprise: { id: 'E0ORG', name: 'Org' },
        is_enterprise_install: true,
        view: { id: 'V0MODAL', type: 'modal', blocks: [], state: { values: {} } },
        actions: [
          {
            type: 'static_select',
            action_id: 'size',
            block_id: 'sizes',
            selected_option: { text: { type: 'plain_text', text: '42' }, value: '42' },
            placeholder: { type: 'plain_text', text: 'Size' },
            action_ts: '1700000313.000100',
          },
        ],
      }),
    },
    {
      name: 'a link button (no value)',
      form: true,
      body: click(3, {
        container: {
          type: 'message',
          message_ts: '1700000305.000500',
          channel_id: 'D0CUSTOMER',
          is_ephemeral: false,
        },
        team: { id: TEAM, domain: 'relevo' },
        channel: { id: 'D0CUSTOMER', name: 'directmessage' },
        message: { type: 'message', ts: '1700000305.000500', text: 'Open your order' },
        actions: [
          {
            action_id: 'open_order',
            block_id: 'links',
            text: { type: 'plain_text', text: 'Open' },
            url: 'https://shop.example/orders/1',
            type: 'button',
            action_ts: '1700000314.000100',
          },
        ],
      }),
    },
    {
      name: 'rate limiting notice (app_rate_limited)',
      body: {
        token: 'XXYYZZ',
        type: 'app_rate_limited',
        team_id: TEAM,
        minute_rate_limited: 1700000280,
        api_app_id: APP,
      },
    },
  ];
}
