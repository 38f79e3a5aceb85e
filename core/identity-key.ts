/**
 * Identity keys (DESIGN.md §3): `<channel>:<platform user id>`, for example `webchat:anon-1f2e`,
 * `slack:T1/U2`, `x:1234`, `email:ana@example.com`. Connectors put the key in `activity.from.id`, so
 * every later stage (identity, transcript, handoff, ledger) sees one customer the same way on every
 * channel; the raw platform id stays in `channelData` for the connector's own replies.
 */
export type IdentityChannel = 'webchat' | 'slack' | 'x' | 'email' | 'msteams' | 'emulator' | 'directline';

export function identityKey(channel: IdentityChannel | string, platformUserId: string): string {
  return `${channel}:${platformUserId}`;
}

/** Splits a key into its channel and platform id, or `undefined` for a string that is no key. */
export function parseIdentityKey(key: string): { channel: string; id: string } | undefined {
  const colon = key.indexOf(':');
  if (colon <= 0 || colon === key.length - 1) return undefined;
  return { channel: key.slice(0, colon), id: key.slice(colon + 1) };
}
