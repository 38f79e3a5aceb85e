import { slackSignature } from '../../connectors/slack/verify.js';
import { xSignature } from '../../connectors/twitter/verify.js';
import { signHubRequest } from '../../handoff/hub-webhook.js';
import { FUZZ_MAX_BODY_BYTES, FUZZ_SECRETS, type FuzzContext } from './fuzz-server.js';
import type { RawRequest } from './raw-http.js';

/** A seeded random source: the same seed makes the same ten thousand requests. */
export { createRandom as seededRandom } from '../../nlu-models/classifier/random.js';

export type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** The kinds of bad input, each a way the internet sends garbage. */
export const INPUT_KINDS = [
  'broken-json',
  'wrong-types',
  'too-large',
  'deep-nesting',
  'invalid-utf8',
  'header-injection',
  'forged-signature',
  'expired-credential',
  'path-traversal',
  'odd-method',
] as const;
export type InputKind = (typeof INPUT_KINDS)[number];

/** A mounted route: restify's method and path template (`/api/members/:id`). */
export interface RouteSpec {
  method: string;
  path: string;
}

/** One generated request and what it was meant to test. */
export interface FuzzCase {
  kind: InputKind;
  route: RouteSpec;
  request: RawRequest;
}

const BROKEN_JSON = [
  '{',
  '{"type": "message", "text": "hi"',
  '{"a":1,}',
  "{'type': 'message'}",
  '{"type": "message"} trailing',
  'NaN',
  'undefined',
  '\uFEFF{"type":"message"}',
  '{"text": "\\ud800"}',
  '{"a": 01}',
  '[1, 2,',
  '"unterminated',
  '{"a":"\\x41"}',
  '\u0000',
  'payload=%7B%22type%22',
];

const FIELDS = [
  'type',
  'text',
  'locale',
  'name',
  'value',
  'attachments',
  'channelData',
  'entities',
  'user',
  'id',
  'agentId',
  'password',
  'online',
  'state',
  'delta',
  'reason',
  'validForDays',
  'entryId',
  'rewardId',
  'isOptedOut',
  'email',
  'code',
  'actor',
  'auditId',
  'toAgentId',
  'note',
  'event',
  'challenge',
  'for_user_id',
  'direct_message_events',
  'tweet_create_events',
  'users',
  'payload',
  'actions',
  'serviceUrl',
  'conversation',
  'from',
  'channelId',
  'memberId',
  'occurredAt',
  '__proto__',
  'constructor',
];

/** A value of a random, probably wrong, type. */
function oddValue(random: Random, depth = 0): unknown {
  const choices: (() => unknown)[] = [
    () => null,
    () => true,
    () => -1,
    () => 1e308,
    () => Number.MAX_SAFE_INTEGER + 2,
    () => 0.5,
    () => '',
    () => ' ',
    () => 'x'.repeat(Math.floor(random() * 20_000)),
    () => '\u0000\u202e\ud83d',
    () => '<script>alert(1)</script>',
    () => "' OR 1=1 --",
    () => '../../../etc/passwd',
    () => '{{constructor.constructor("return process")()}}',
    () => [],
    () => ({}),
    () => (depth < 3 ? [oddValue(random, depth + 1), oddValue(random, depth + 1)] : 0),
    () => (depth < 3 ? { [pick(random, FIELDS)]: oddValue(random, depth + 1) } : 'leaf'),
    () => 'message',
    () => 'event',
  ];
  return pick(random, choices)();
}

/** An object whose fields are the ones routes read, holding values of the wrong types. */
function wrongTypes(random: Random): string {
  const body: Record<string, unknown> = {};
  const count = 1 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) body[pick(random, FIELDS)] = oddValue(random);
  if (random() < 0.5) body.type = pick(random, ['message', 'event', 'typing', 'event_callback', 7]);
  if (random() < 0.2) return JSON.stringify(pick(random, [[body], 'text', 42, null, true]));
  // `__proto__` as an own key, the way JSON.parse makes it (prototype pollution attempts).
  return JSON.stringify(body).replace('"__proto__x"', '"__proto__"');
}

function deepNesting(random: Random): string {
  const depth = pick(random, [1_000, 10_000, Math.floor(FUZZ_MAX_BODY_BYTES / 2) - 8]);
  if (random() < 0.5) return `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const field = pick(random, ['value', 'channelData', 'text', 'event', 'state']);
  return `{"type":"message","${field}":${'{"a":'.repeat(depth / 5)}1${'}'.repeat(depth / 5)}}`;
}

function invalidUtf8(random: Random): Buffer {
  const bad = pick(random, [
    [0xc3, 0x28],
    [0xff, 0xfe],
    [0xed, 0xa0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xc0, 0xaf],
    [0xe2, 0x82],
  ]);
  return Buffer.concat([
    Buffer.from('{"type":"message","text":"'),
    Buffer.from(bad),
    Buffer.from('","agentId":"'),
    Buffer.from(bad),
    Buffer.from('"}'),
  ]);
}

/** Concrete path of a route template, its parameters filled with real ids or with junk. */
function fillPath(random: Random, route: RouteSpec, context: FuzzContext): string {
  return route.path.replace(/:(\w+)/g, (_match, name: string) => {
    if (name === 'conversationId' && random() < 0.7) return context.conversationId;
    return safeEncode(
      pick(random, [
        'h-1',
        'webchat:anon-1',
        'ORD-100001',
        'weekly',
        'x'.repeat(300),
        '..',
        '%',
        String(oddValue(random)).slice(0, 200),
      ]),
    );
  });
}

/** `encodeURIComponent`, with lone surrogates (which it refuses) sent as raw `%ED%A0%80` bytes. */
function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return `${encodeURIComponent(value.replace(/[\ud800-\udfff]/g, ''))}%ED%A0%80`;
  }
}

const TRAVERSALS = [
  '/../../../../etc/passwd',
  '/..%2f..%2f..%2fetc%2fpasswd',
  '/%2e%2e/%2e%2e/package.json',
  '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
  '/..\\..\\windows\\win.ini',
  '/%00',
  '/%252e%252e%252f',
  '/./././',
  '//etc/passwd',
  '/%',
  '/%E0%A4%A',
];

/** Which credential a route family takes, valid or forged, by kind. */
function credentials(
  random: Random,
  kind: InputKind,
  route: RouteSpec,
  body: Buffer,
  context: FuzzContext,
): [string, string][] {
  const { path } = route;
  const nowS = Math.floor(Date.now() / 1000);
  const forged = kind === 'forged-signature';
  const expired = kind === 'expired-credential';
  if (path.startsWith('/v3/directline')) {
    if (forged)
      return [
        [
          'Authorization',
          pick(random, [
            `Bearer ${context.token.slice(0, -4)}AAAA`,
            'Bearer rdl1.e30.AAAA',
            'Bearer x',
            'Basic Zm9v',
          ]),
        ],
      ];
    if (expired) return [['Authorization', `Bearer ${context.expiredToken}`]];
    return [['Authorization', `Bearer ${random() < 0.5 ? FUZZ_SECRETS.directLine : context.token}`]];
  }
  if (path === '/api/messages') {
    const { validToken, forgedTokens, expiredToken } = context.botFramework;
    const token = forged ? pick(random, forgedTokens) : expired ? expiredToken : validToken;
    return [['Authorization', `Bearer ${token}`]];
  }
  if (path.startsWith('/slack')) {
    const ts = String(expired ? nowS - 3600 : nowS);
    const secret = forged ? 'not-the-secret' : FUZZ_SECRETS.slackSigning;
    return [
      ['X-Slack-Request-Timestamp', forged && random() < 0.3 ? 'abc' : ts],
      ['X-Slack-Signature', slackSignature(secret, ts, body.toString('utf8'))],
    ];
  }
  if (path.startsWith('/twitter')) {
    const secret = forged || expired ? 'not-the-secret' : FUZZ_SECRETS.xConsumer;
    return [['X-Twitter-Webhooks-Signature', xSignature(secret, body.toString('utf8'))]];
  }
  if (path.endsWith('/status') && random() < 0.5) {
    const ts = expired ? nowS - 3600 : nowS;
    const secret = forged ? 'not-the-hub-secret-0000000000000000' : FUZZ_SECRETS.hub;
    return [
      ['X-Relevo-Timestamp', String(ts)],
      ['X-Relevo-Signature', signHubRequest(secret, ts, body.toString('utf8'))],
    ];
  }
  if (forged || expired) {
    return [
      pick(random, [
        ['Authorization', `Bearer ${FUZZ_SECRETS.apiToken}x`],
        ['Authorization', 'Bearer'],
        ['Cookie', 'relevo_agent=forged-session-token'],
        ['Cookie', 'relevo_agent=%E0%A4%A; relevo_visitor=anon-12345678.sig'],
        ['Cookie', `${context.sessionCookie}x`],
      ] as [string, string][]),
    ];
  }
  if (random() < 0.5) return [['Authorization', `Bearer ${FUZZ_SECRETS.apiToken}`]];
  return [
    ['Cookie', context.sessionCookie],
    ['X-Relevo-CSRF', random() < 0.8 ? context.csrfToken : 'wrong'],
  ];
}

function bodyFor(random: Random, kind: InputKind): Buffer {
  switch (kind) {
    case 'broken-json':
      return Buffer.from(pick(random, BROKEN_JSON));
    case 'too-large':
      return Buffer.alloc(FUZZ_MAX_BODY_BYTES + 1 + Math.floor(random() * FUZZ_MAX_BODY_BYTES), '{');
    case 'deep-nesting':
      return Buffer.from(deepNesting(random));
    case 'invalid-utf8':
      return invalidUtf8(random);
    default:
      return Buffer.from(wrongTypes(random));
  }
}

/** The `i`-th request of a run: a route, a kind of bad input, the bytes. */
export function generateCase(random: Random, routes: readonly RouteSpec[], context: FuzzContext): FuzzCase {
  const route = pick(random, routes);
  const kind = pick(random, INPUT_KINDS);
  // A forged or expired channel token comes with a well-formed activity, so the token is what is refused.
  const body =
    route.path === '/api/messages' && (kind === 'forged-signature' || kind === 'expired-credential')
      ? Buffer.from(JSON.stringify({ ...context.botFramework.activity, id: `fuzz-${random()}` }))
      : bodyFor(random, kind);
  let method = route.method;
  let path = fillPath(random, route, context);
  const headers: [string, string][] = [
    [
      'Content-Type',
      pick(random, [
        'application/json',
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/json; charset=utf-16',
        '*/*',
      ]),
    ],
    ...credentials(random, kind, route, body, context),
  ];
  if (kind === 'path-traversal')
    path = pick(random, [path, route.path.split('/:')[0] ?? '/']) + pick(random, TRAVERSALS);
  if (kind === 'odd-method')
    method = pick(random, [
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'HEAD',
      'TRACE',
      'PROPFIND',
      'FOO',
      'get',
      'POST ',
    ]);
  if (kind === 'invalid-utf8' && random() < 0.5) path += '?q=%C3%28&watermark=%FF';
  if (kind === 'too-large' && random() < 0.3) {
    // A Content-Length that promises more than the limit: refused before the bytes are read.
    headers.push(['Content-Length', String(50 * 1024 * 1024)]);
    return { kind, route, request: { method, path, headers, body: Buffer.from('{}') } };
  }
  if (kind === 'too-large' && random() < 0.3) {
    // No length announced: the limit is found while reading a chunked body.
    headers.push(['Transfer-Encoding', 'chunked']);
    const chunked = Buffer.concat([
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]);
    return { kind, route, request: { method, path, headers, body: chunked } };
  }
  if (kind === 'header-injection') {
    headers.push(
      pick(random, [
        ['X-Forwarded-Host', 'evil.example\r\nSet-Cookie: injected=1'],
        ['X-Forwarded-Proto', 'https\r\nX-Injected: 1'],
        ['X-Bad\u0000Header', 'v'],
        ['X Space', 'v'],
        ['Content-Length', '5\r\nContent-Length: 6'],
        ['Transfer-Encoding', 'chunked'],
        ['X-Long', 'a'.repeat(20_000)],
        ['Accept-Language', '\u00ff\u00fe'],
        ['Host', '127.0.0.1\r\nX-Injected: 1'],
      ] as [string, string][]),
    );
  }
  return { kind, route, request: { method, path, headers, body } };
}
