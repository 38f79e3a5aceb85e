/**
 * Pure checks on an inbound message's headers, run before any work (STYLE.md rule 2): is it written
 * by a machine (an auto-reply or a bounce, which we must never answer), and did the receiving mail
 * server authenticate its sender?
 */

/** One header line as the parser gives it: lower-cased name and the whole raw line. */
export interface HeaderLine {
  readonly key: string;
  readonly line: string;
}

/** Why a message was written by a machine, or `undefined` when a person wrote it. */
export type AutomaticReason = 'auto-reply' | 'bounce' | 'bulk' | 'own-message';

/** What the receiving server's `Authentication-Results` say about the sender (RFC 8601). */
export type SenderAuthentication = 'pass' | 'fail' | 'none';

/** The value of a raw header line: everything after the first colon, unfolded and trimmed. */
export function headerValue(line: string): string {
  const colon = line.indexOf(':');
  return (colon < 0 ? '' : line.slice(colon + 1)).replace(/\r?\n[ \t]+/g, ' ').trim();
}

function values(lines: readonly HeaderLine[], name: string): string[] {
  return lines.filter((line) => line.key === name).map((line) => headerValue(line.line));
}

/**
 * Detects mail that a machine sent, so the agent never answers it and no mail loop can start:
 * - `Auto-Submitted` other than `no` (RFC 3834 §5: auto-replies, auto-generated notices);
 * - `X-Autoreply`, `X-Autorespond`, `X-Auto-Response-Suppress` (Exchange) and `Precedence: bulk|junk|list|auto_reply`
 *   (the de-facto headers of vacation responders and mailing lists);
 * - delivery status notifications: `Content-Type: multipart/report; report-type=delivery-status` (RFC 3464)
 *   or a null return path `Return-Path: <>` (RFC 5321 §4.5.5: DSNs are sent with an empty reverse-path);
 * - our own address in `From` (our reply looped back into the inbox).
 */
export function detectAutomatic(
  lines: readonly HeaderLine[],
  fromAddress: string | undefined,
  ownAddress: string,
): AutomaticReason | undefined {
  if (fromAddress && fromAddress.toLowerCase() === ownAddress.toLowerCase()) return 'own-message';
  const contentType = values(lines, 'content-type').join(' ').toLowerCase();
  if (
    /multipart\/report/.test(contentType) &&
    /report-type\s*=\s*"?(delivery-status|disposition-notification)/.test(contentType)
  )
    return 'bounce';
  if (values(lines, 'return-path').some((value) => /^<\s*>$/.test(value))) return 'bounce';
  if (/^(mailer-daemon|postmaster)@/i.test(fromAddress ?? '')) return 'bounce';
  if (values(lines, 'auto-submitted').some((value) => !/^no\b/i.test(value))) return 'auto-reply';
  if (values(lines, 'x-autoreply').length > 0 || values(lines, 'x-autorespond').length > 0)
    return 'auto-reply';
  const precedence = values(lines, 'precedence').map((value) => value.toLowerCase());
  if (precedence.some((value) => value === 'auto_reply')) return 'auto-reply';
  if (precedence.some((value) => value === 'bulk' || value === 'junk' || value === 'list')) return 'bulk';
  // Exchange marks its out-of-office replies this way instead of with Auto-Submitted.
  if (values(lines, 'x-auto-response-suppress').some((value) => /\b(all|oof|autoreply)\b/i.test(value)))
    return 'auto-reply';
  return undefined;
}

/**
 * Reads the `Authentication-Results` header our receiving server added (RFC 8601). Only a header from a
 * trusted authserv-id counts, because anyone can write one into a message; without `trustedAuthServIds`
 * the topmost header is taken, which is the one the last hop (our own server) prepended.
 * - DMARC decides when present (RFC 7489): `pass` or `fail`.
 * - Otherwise `pass` when DKIM or SPF passes, `fail` when one of them fails and none passes.
 * - `none` when no trusted header says anything.
 */
export function checkSenderAuthentication(
  lines: readonly HeaderLine[],
  trustedAuthServIds: readonly string[] = [],
): SenderAuthentication {
  const headers = values(lines, 'authentication-results');
  const trusted =
    trustedAuthServIds.length === 0
      ? headers.slice(0, 1)
      : headers.filter((value) => {
          const servId = value.split(';')[0]?.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
          return trustedAuthServIds.some((id) => id.toLowerCase() === servId);
        });
  const results = new Map<string, string[]>();
  for (const header of trusted) {
    // `authserv-id [version]; method=result reason; method=result…`
    for (const part of header.split(';').slice(1)) {
      const match = /^\s*([a-z0-9-]+)\s*=\s*([a-z]+)/i.exec(part);
      if (!match?.[1] || !match[2]) continue;
      const method = match[1].toLowerCase();
      results.set(method, [...(results.get(method) ?? []), match[2].toLowerCase()]);
    }
  }
  const dmarc = results.get('dmarc');
  if (dmarc?.includes('fail')) return 'fail';
  if (dmarc?.includes('pass')) return 'pass';
  const others = [...(results.get('dkim') ?? []), ...(results.get('spf') ?? [])];
  if (others.includes('pass')) return 'pass';
  if (others.some((result) => result === 'fail' || result === 'softfail' || result === 'permerror'))
    return 'fail';
  return 'none';
}
