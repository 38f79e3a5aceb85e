import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The issuer of Microsoft's public-cloud channel tokens, which botbuilder expects by default. */
export const BOTFRAMEWORK_ISSUER = 'https://api.botframework.com';

/** A key a token can be signed with: the service's published one, or one it never published. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
}

export interface ChannelTokenOptions {
  /** The bot's app id the token is for (`aud`). */
  audience: string;
  /** The activity's `serviceUrl`, which botbuilder compares with the `serviceurl` claim. */
  serviceUrl: string;
  /** Default: the key the service publishes. */
  key?: SigningKey;
  /** Default: {@link BOTFRAMEWORK_ISSUER}. */
  issuer?: string;
  /** When the token stops being valid, in Unix seconds (default: an hour from now). */
  expiresAt?: number;
}

/**
 * A stand-in for the Bot Framework's token service on loopback: an OpenID metadata document (what
 * `BOTFRAMEWORK_OPENID_METADATA_URL` points at) and its JWKS, with one RSA key generated per service
 * and endorsed, as Microsoft's keys are, for the channels named. {@link sign} makes the channel tokens
 * a Bot Framework channel sends in `Authorization: Bearer`. botbuilder caches the keys it fetched,
 * process-wide, by metadata URL, for a day (an unknown key id refetches them only after an hour):
 * start one service per test file (vitest isolates each file's modules), never a second one on a
 * reused port in the same file, or it meets stale keys.
 */
export interface FakeBotFrameworkTokens {
  metadataUrl: string;
  /** The published key. */
  key: SigningKey;
  /** A fresh key the service never published, under the published key's id: a forger's. */
  forgedKey(): SigningKey;
  /** A channel token (RS256), as the channel service issues them. */
  sign(options: ChannelTokenOptions): string;
  /** While on, the metadata and keys answer 503, as a token service in an outage. */
  setUnavailable(on: boolean): void;
  close(): Promise<void>;
}

export async function startFakeBotFrameworkTokens(endorsements: string[]): Promise<FakeBotFrameworkTokens> {
  const key = newKey(`key-${randomUUID()}`);
  const jwk = key.privateKey.export({ format: 'jwk' });
  let unavailable = false;
  const server = createServer((req, res) => {
    if (unavailable) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable');
      return;
    }
    const base = `http://${req.headers.host}`;
    const documents: Record<string, unknown> = {
      '/v1/.well-known/openidconfiguration': {
        issuer: BOTFRAMEWORK_ISSUER,
        authorization_endpoint: `${base}/v1/.well-known/authorize`,
        jwks_uri: `${base}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      },
      '/v1/.well-known/keys': {
        keys: [{ kty: 'RSA', use: 'sig', kid: key.kid, n: jwk.n, e: jwk.e, endorsements }],
      },
    };
    const document = documents[req.url ?? ''];
    res.writeHead(document ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(document ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    metadataUrl: `http://127.0.0.1:${port}/v1/.well-known/openidconfiguration`,
    key,
    forgedKey: () => newKey(key.kid),
    sign: (options) => signChannelToken({ key, ...options }),
    setUnavailable: (on) => {
      unavailable = on;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function newKey(kid: string): SigningKey {
  return { kid, privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey };
}

/** The claims of a Bot Framework channel token (`iss`, `aud`, `serviceurl`, `nbf`, `exp`), RS256-signed. */
function signChannelToken(options: ChannelTokenOptions & { key: SigningKey }): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', kid: options.key.kid, x5t: options.key.kid };
  const claims = {
    serviceurl: options.serviceUrl,
    nbf: now - 60,
    exp: options.expiresAt ?? now + 3600,
    iss: options.issuer ?? BOTFRAMEWORK_ISSUER,
    aud: options.audience,
  };
  const signed = `${base64url(header)}.${base64url(claims)}`;
  const signature = sign('sha256', Buffer.from(signed), options.key.privateKey).toString('base64url');
  return `${signed}.${signature}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
