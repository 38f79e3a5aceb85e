import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackRequest } from '../../../connectors/slack/verify.js';

// Slack's published example, "Verifying requests from Slack":
// https://api.slack.com/authentication/verifying-requests-from-slack#a_recipe_for_security
const example = {
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  rawBody:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const sentAtMs = Number(example.timestamp) * 1000;

function verify(overrides: { signature?: string; timestamp?: string; rawBody?: string; nowMs?: number }) {
  verifySlackRequest({
    signingSecret: example.signingSecret,
    headers: {
      timestamp: 'timestamp' in overrides ? overrides.timestamp : example.timestamp,
      signature: 'signature' in overrides ? overrides.signature : example.signature,
    },
    rawBody: overrides.rawBody ?? example.rawBody,
    nowMs: overrides.nowMs ?? sentAtMs,
  });
}

describe('Slack request signatures', () => {
  it("computes Slack's published example signature exactly", () => {
    expect(slackSignature(example.signingSecret, example.timestamp, example.rawBody)).toBe(example.signature);
  });

  it("accepts Slack's published example request", () => {
    expect(() => verify({})).not.toThrow();
  });

  it('rejects a body changed by one character', () => {
    expect(() => verify({ rawBody: example.rawBody.replace('foobar', 'foobaz') })).toThrow(
      expect.objectContaining({ code: 'RELEVO_SLACK_SIGNATURE', statusCode: 401 }),
    );
  });

  it('rejects a request without a signature or a timestamp', () => {
    expect(() => verify({ signature: undefined })).toThrow(
      expect.objectContaining({ code: 'RELEVO_SLACK_SIGNATURE' }),
    );
    expect(() => verify({ timestamp: undefined })).toThrow(
      expect.objectContaining({ code: 'RELEVO_SLACK_SIGNATURE' }),
    );
  });

  it('accepts a request up to five minutes old or early, and refuses one a second beyond either way', () => {
    const fiveMinutes = 5 * 60 * 1000;
    expect(() => verify({ nowMs: sentAtMs + fiveMinutes })).not.toThrow();
    expect(() => verify({ nowMs: sentAtMs - fiveMinutes })).not.toThrow();
    expect(() => verify({ nowMs: sentAtMs + fiveMinutes + 1000 })).toThrow(/five minutes/);
    expect(() => verify({ nowMs: sentAtMs - fiveMinutes - 1000 })).toThrow(/five minutes/);
  });

  it('rejects a timestamp that is not Unix seconds, even with a matching signature', () => {
    const timestamp = '1531420618.5';
    const signature = slackSignature(example.signingSecret, timestamp, example.rawBody);
    expect(() => verify({ timestamp, signature })).toThrow(
      expect.objectContaining({ code: 'RELEVO_SLACK_SIGNATURE' }),
    );
  });
});
