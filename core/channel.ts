import type { BotAdapter, Middleware, TurnContext } from 'botbuilder';
import type { Server } from 'restify';

/** What a channel reports about itself on `/healthz`. */
export interface ChannelHealth {
  status: 'on' | 'off';
  /** Why a channel is off, or how it authenticates when on (for example `anonymous`). */
  detail?: string;
}

/** The bot's turn logic, as botbuilder's `ActivityHandler.run` provides it. */
export type TurnLogic = (context: TurnContext) => Promise<void>;

/**
 * One channel of the agent (web chat, Slack, X, email…) as the composition root sees it: an adapter
 * running the shared middleware pipeline, routes to mount, and a lifecycle. Connectors build one from
 * their own typed options; `bots/` never reaches inside.
 */
export interface Channel {
  readonly name: string;
  /** The channel's adapter, for proactive messages (`continueConversation`) from the agent desk. */
  readonly adapter: BotAdapter | undefined;
  health(): ChannelHealth;
  /** Mounts the channel's HTTP routes (webhooks, Direct Line…) on the one restify server. */
  mount(server: Server): void;
  /** Starts background work (IMAP IDLE, token refresh…) once the server listens. */
  start(): Promise<void>;
  /** Stops background work and closes connections; in-flight turns are awaited by the caller. */
  close(): Promise<void>;
  /** Deletes what the channel itself keeps of a conversation (web chat: its Direct Line log), for an erase. */
  eraseConversation?(conversationId: string): Promise<void>;
}

/** A channel that is off because its settings are absent: it only reports so. */
export function offChannel(name: string, detail: string): Channel {
  return {
    name,
    adapter: undefined,
    health: () => ({ status: 'off', detail }),
    mount() {},
    start: async () => {},
    close: async () => {},
  };
}

/** Middleware in the order the composition root fixed; every adapter `use`s the same list. */
export type Pipeline = readonly Middleware[];
