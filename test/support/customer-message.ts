import type { Activity } from 'botbuilder';

/**
 * Ana's message `id` saying `text` in the test channel's `conversation-1`, as a channel adapter hands it
 * to `processActivity`; `extra` overrides any field (another conversation, key or locale).
 */
export function customerMessage(id: string, text: string, extra: Partial<Activity> = {}): Partial<Activity> {
  return {
    type: 'message',
    id,
    text,
    channelId: 'test',
    conversation: { id: 'conversation-1' } as Activity['conversation'],
    from: { id: 'test:user-1', name: 'Ana' },
    recipient: { id: 'relevo', name: 'Relevo' },
    ...extra,
  };
}
