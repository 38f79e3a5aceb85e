/**
 * The churn rule of issue 9: "3 contacts in 7 days about the same intent → flag churn risk and raise
 * handoff priority". Pure functions over the member's recent intent contacts, so the identity stage,
 * merges and tests all apply the same rule on an injected clock.
 *
 * A **contact** is one conversation (`channelId` + `conversationId`) on one UTC day: a customer who
 * opens three web chat sessions, or writes three email threads, or comes back to the same thread on
 * three days, made three contacts; ten messages in one chat session are one contact. A contact is
 * *about* every qualifying top intent seen in it (in scope, not small talk, not talk to the bot or a
 * request for an agent), so one contact counts once per intent however many messages repeat it.
 */

/** The intents of one contact, as kept on the member. */
export interface IntentContact {
  /** `<channelId>\n<conversationId>\n<UTC day, YYYY-MM-DD>`: what makes two messages one contact. */
  contact: string;
  /** When the contact was first seen (ms since the epoch); it leaves the window `windowMs` later. */
  at: number;
  /** Qualifying top intents seen in the contact, in the order first seen. */
  intents: string[];
}

/** A member flagged by the churn rule. */
export interface ChurnRisk {
  /** The intent the member keeps contacting about. */
  intent: string;
  /** When the rule first fired for this intent (ms since the epoch), kept while it still holds. */
  since: number;
}

export interface ChurnRuleOptions {
  /** Contacts about one intent within `windowMs` that flag the member (default 3). */
  contacts: number;
  /** The window (default 7 days). */
  windowMs: number;
  /** Intents that say nothing about why the customer came: prefixes of `smalltalk.`, `agent.`, … */
  ignoredIntentPrefixes: readonly string[];
  /** Most contacts kept per member; the oldest drop first (default 50). */
  maxContacts: number;
}

export const defaultChurnRule: ChurnRuleOptions = {
  contacts: 3,
  windowMs: 7 * 24 * 60 * 60 * 1000,
  ignoredIntentPrefixes: ['smalltalk.', 'agent.', 'handoff.'],
  maxContacts: 50,
};

/** The intent a turn's NLU result counts for, or `undefined` (out of scope, `None`, small talk…). */
export function qualifyingIntent(
  nlu: { topIntent?: unknown; isOutOfScope?: unknown } | undefined,
  rule: ChurnRuleOptions = defaultChurnRule,
): string | undefined {
  const intent = nlu?.topIntent;
  if (typeof intent !== 'string' || intent === '' || intent === 'None' || nlu?.isOutOfScope === true) {
    return undefined;
  }
  return rule.ignoredIntentPrefixes.some((prefix) => intent.startsWith(prefix)) ? undefined : intent;
}

/** The contact a message belongs to: its conversation on the UTC day of `at`. */
export function contactOf(channelId: string, conversationId: string, at: number): string {
  return `${channelId}\n${conversationId}\n${new Date(at).toISOString().slice(0, 10)}`;
}

/**
 * The member's contacts after one more message about `intent`: added to its contact (created if new),
 * contacts older than the window dropped, at most `maxContacts` kept. Returns a new array.
 */
export function addIntentContact(
  contacts: readonly IntentContact[] | undefined,
  entry: { contact: string; at: number; intent: string },
  now: number,
  rule: ChurnRuleOptions = defaultChurnRule,
): IntentContact[] {
  const kept = recentContacts(contacts, now, rule).map((c) => ({ ...c, intents: [...c.intents] }));
  const found = kept.find((c) => c.contact === entry.contact);
  if (found) {
    if (!found.intents.includes(entry.intent)) found.intents.push(entry.intent);
  } else kept.push({ contact: entry.contact, at: entry.at, intents: [entry.intent] });
  kept.sort((a, b) => a.at - b.at);
  return kept.slice(-rule.maxContacts);
}

/** The contacts still inside the window at `now`. */
export function recentContacts(
  contacts: readonly IntentContact[] | undefined,
  now: number,
  rule: ChurnRuleOptions = defaultChurnRule,
): IntentContact[] {
  return (contacts ?? []).filter((c) => now - c.at < rule.windowMs);
}

/**
 * The churn risk the contacts show at `now`: the intent with at least `rule.contacts` contacts in the
 * window (the most contacted, then the most recent, when several qualify), or `undefined`. `previous`
 * keeps its `since` when the same intent still qualifies.
 */
export function evaluateChurn(
  contacts: readonly IntentContact[] | undefined,
  now: number,
  previous: ChurnRisk | undefined,
  rule: ChurnRuleOptions = defaultChurnRule,
): ChurnRisk | undefined {
  const seen = new Map<string, { count: number; lastAt: number; thresholdAt: number }>();
  for (const contact of recentContacts(contacts, now, rule).sort((a, b) => a.at - b.at)) {
    for (const intent of new Set(contact.intents)) {
      const tally = seen.get(intent) ?? { count: 0, lastAt: 0, thresholdAt: 0 };
      tally.count++;
      tally.lastAt = contact.at;
      if (tally.count === rule.contacts) tally.thresholdAt = contact.at;
      seen.set(intent, tally);
    }
  }
  let best: [string, { count: number; lastAt: number; thresholdAt: number }] | undefined;
  for (const entry of seen) {
    if (entry[1].count < rule.contacts) continue;
    if (
      !best ||
      entry[1].count > best[1].count ||
      (entry[1].count === best[1].count && entry[1].lastAt > best[1].lastAt)
    )
      best = entry;
  }
  if (!best) return undefined;
  const [intent, tally] = best;
  return previous?.intent === intent ? previous : { intent, since: tally.thresholdAt };
}
