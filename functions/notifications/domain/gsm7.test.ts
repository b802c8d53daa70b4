import { describe, expect, it } from 'vitest';
import { fitSms, isGsm7, SMS_MAX_SEPTETS, septetLength, toGsm7 } from './gsm7.ts';

describe('GSM-7', () => {
  it('counts extension characters as two septets', () => {
    expect(septetLength('abc')).toBe(3);
    expect(septetLength('€5 [x]')).toBe(9);
  });

  it('keeps GSM-7 letters (ä but not ë), maps look-alikes, drops other accents, and replaces the rest with ?', () => {
    expect(toGsm7('Zoë Ñandú')).toBe('Zoe Ñandu');
    expect(toGsm7('“quoted” – ok…')).toBe('"quoted" - ok...');
    expect(toGsm7('李雷 🙂')).toBe('?? ?');
    expect(isGsm7(toGsm7('Łukasz Żółć 李 🙂 ‘x’'))).toBe(true);
  });

  it('leaves a message that fits alone', () => {
    const text = 'x'.repeat(SMS_MAX_SEPTETS);
    expect(fitSms(text)).toEqual({ text, septets: 160, cut: false });
  });

  it('cuts a long message on purpose at a word boundary, within 160 septets, ending in ...', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const sms = fitSms(words);
    expect(sms.cut).toBe(true);
    expect(sms.septets).toBeLessThanOrEqual(SMS_MAX_SEPTETS);
    expect(sms.text.endsWith('...')).toBe(true);
    expect(sms.text.slice(0, -3)).toMatch(/word\d+$/);
    expect(words.startsWith(sms.text.slice(0, -3))).toBe(true);
  });

  it('never splits an escaped character and counts it as two', () => {
    const sms = fitSms('€'.repeat(100));
    expect(sms.septets).toBeLessThanOrEqual(SMS_MAX_SEPTETS);
    expect(sms.text).toBe(`${'€'.repeat(78)}...`);
    expect(sms.septets).toBe(159);
  });

  it('converts first, so a name in another script can never turn the message into 70-character UCS-2', () => {
    const sms = fitSms(`Shop: ${'李'.repeat(200)}`);
    expect(isGsm7(sms.text)).toBe(true);
    expect(sms.septets).toBeLessThanOrEqual(SMS_MAX_SEPTETS);
  });
});
