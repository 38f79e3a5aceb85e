import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the cookie that keeps a browser's anonymous identity across visits. */
export const VISITOR_COOKIE = 'relevo_visitor';
const ONE_YEAR_S = 365 * 24 * 60 * 60;

/** The visitor id of a signed cookie header, or undefined when absent or tampered with. */
export function visitorFromCookie(header: string | undefined, key: Buffer): string | undefined {
  const raw = header
    ?.split(';')
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${VISITOR_COOKIE}=`))
    ?.slice(VISITOR_COOKIE.length + 1);
  const [id, signature] = (raw ?? '').split('.');
  if (!id || !signature || !/^anon-[\w-]{8,32}$/.test(id)) return undefined;
  const expected = Buffer.from(sign(id, key));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given) ? id : undefined;
}

/** A fresh visitor id. */
export function newVisitorId(): string {
  return `anon-${randomBytes(12).toString('base64url')}`;
}

/** The `Set-Cookie` value for a visitor: HTTP-only, same-site, a year long; `Secure` over HTTPS. */
export function visitorCookie(id: string, key: Buffer, secure: boolean): string {
  const attributes = [
    `Max-Age=${ONE_YEAR_S}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ];
  return `${VISITOR_COOKIE}=${id}.${sign(id, key)}; ${attributes.join('; ')}`;
}

function sign(id: string, key: Buffer): string {
  return createHmac('sha256', key).update(`visitor:${id}`).digest('base64url');
}
