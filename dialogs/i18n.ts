import type { TurnContext } from 'botbuilder';
import { type MessageKey, en } from './locales/en.js';
import { es } from './locales/es.js';

/** The languages the agent speaks. */
export type Lang = 'en' | 'es';

const catalogues: Record<Lang, Record<MessageKey, string>> = { en, es };

/** A reply in `lang`, with `{name}` placeholders filled from `params`. */
export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return catalogues[lang][key].replace(/\{(\w+)\}/g, (match, name: string) =>
    params[name] === undefined ? match : String(params[name]),
  );
}

/** The BCP 47 locale of a language, for prompts' own recognizers (yes/no, numbers). */
export function localeOf(lang: Lang): string {
  return lang === 'es' ? 'es-es' : 'en-us';
}

/** Narrows any language tag (`es-MX`, `en`) to one the agent speaks. */
export function toLang(value: string | undefined): Lang | undefined {
  const base = value?.slice(0, 2).toLowerCase();
  return base === 'es' || base === 'en' ? base : undefined;
}

/** Whether a message key exists (for keys built from data, such as `intent.<name>`). */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

const LANGUAGE = Symbol.for('relevo.replyLanguage');

/** The language to answer in on this turn (set by the agent from the NLU and the member's state). */
export function replyLanguage(context: TurnContext): Lang {
  return (context.turnState.get(LANGUAGE) as Lang | undefined) ?? toLang(context.activity.locale) ?? 'en';
}

export function setReplyLanguage(context: TurnContext, lang: Lang): void {
  context.turnState.set(LANGUAGE, lang);
}

export type { MessageKey };
