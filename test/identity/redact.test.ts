import type { Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { isLuhnValid, isValidIban, redactActivity, redactPii } from '../../identity/redact.js';

describe('PII redaction', () => {
  it('hides card numbers that pass the Luhn check, however they are grouped', () => {
    expect(redactPii('my card is 4111 1111 1111 1111, ok?')).toBe('my card is [card], ok?');
    expect(redactPii('5500-0000-0000-0004')).toBe('[card]');
    expect(redactPii('4012888888881881')).toBe('[card]');
  });

  it('leaves a 16-digit order number that fails the Luhn check readable', () => {
    expect(redactPii('order 4111111111111112 is late')).toBe('order 4111111111111112 is late');
  });

  it('hides IBANs with a valid checksum and keeps ones that fail it', () => {
    expect(redactPii('IBAN ES91 2100 0418 4502 0005 1332 please')).toBe('IBAN [iban] please');
    expect(redactPii('GB82WEST12345698765432')).toBe('[iban]');
    expect(isValidIban('GB82WEST12345698765431')).toBe(false);
  });

  it('hides email addresses and phone numbers, but not dates, amounts or short order numbers', () => {
    expect(redactPii('write to Ana.Ruiz+shop@example.co.uk')).toBe('write to [email]');
    expect(redactPii('call +34 612 345 678 or (555) 123-4567')).toBe('call [phone] or [phone]');
    expect(redactPii('on 2026-11-22 I paid 129.99 for order 88231')).toBe(
      'on 2026-11-22 I paid 129.99 for order 88231',
    );
  });

  it('redacts the text and form values of an activity without touching the original', () => {
    const activity = {
      type: 'message',
      text: 'mail me at ana@example.com',
      value: { card: '4111 1111 1111 1111', note: ['+44 20 7946 0958'] },
    } as Activity;
    const stored = redactActivity(activity);
    expect(stored.text).toBe('mail me at [email]');
    expect(stored.value).toEqual({ card: '[card]', note: ['[phone]'] });
    expect(activity.text).toBe('mail me at ana@example.com');
  });

  it('implements the Luhn check on the published test numbers', () => {
    expect(isLuhnValid('378282246310005')).toBe(true);
    expect(isLuhnValid('378282246310006')).toBe(false);
  });
});
