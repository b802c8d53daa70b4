import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { text } from './text.ts';

const refusedEverywhere: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['a C0 control (BEL)', 'a\u0007b'],
  ['ESC', 'a\u001bb'],
  ['DEL', 'a\u007fb'],
  ['a lone high surrogate', 'a\ud800b'],
  ['a lone low surrogate', 'a\udc00b'],
  ['a high surrogate at the end', 'ab\ud83d'],
];

describe('text()', () => {
  const line = text({ max: 20 });
  const lines = text({ max: 20, multiline: true });
  const name = text({ min: 1, max: 20, name: true, trim: true });

  it.each(refusedEverywhere)('refuses %s in every kind of field', (_kind, value) => {
    for (const schema of [line, lines, name]) expect(schema.safeParse(value).success).toBe(false);
  });

  it('allows tab everywhere, newlines only where a field has several lines', () => {
    expect(line.parse('a\tb')).toBe('a\tb');
    expect(line.safeParse('a\nb').success).toBe(false);
    expect(line.safeParse('a\rb').success).toBe(false);
    expect(lines.parse('a\r\nb')).toBe('a\r\nb');
    expect(lines.safeParse('a\u000bb').success).toBe(false);
  });

  it('refuses bidirectional overrides and isolates in names only', () => {
    for (const c of ['\u202a', '\u202e', '\u2066', '\u2069']) {
      expect(name.safeParse(`ab${c}c`).success).toBe(false);
      expect(line.parse(`ab${c}c`)).toBe(`ab${c}c`);
    }
  });

  it('takes well-formed text in any script, emoji (surrogate pairs) included', () => {
    for (const value of ['Zoë', '東京', 'مرحبا', '😀 ok', '\u00a0x']) expect(line.parse(value)).toBe(value);
  });

  it('counts characters, not UTF-16 units, against max', () => {
    expect(line.parse('😀'.repeat(20))).toHaveLength(40);
    expect(line.safeParse('😀'.repeat(21)).success).toBe(false);
  });

  it('trims, and refuses what is blank once trimmed', () => {
    expect(name.parse('  Zoë \t')).toBe('Zoë');
    for (const blank of ['', '   ', '\t', '\u00a0', '\ufeff', '\u3000']) expect(name.safeParse(blank).success).toBe(false);
  });

  it('states the same rules in JSON Schema, which another engine (Python re) can check', () => {
    const json = z.toJSONSchema(name, { io: 'input' }) as { allOf: Array<{ pattern: string }>; maxLength: number };
    const schema = { ...json, pattern: json.allOf[0]!.pattern };
    expect(schema).toMatchObject({ type: 'string', maxLength: 20, minLength: 1 });
    const pattern = new RegExp(schema.pattern, 'u');
    // Lone surrogates excepted: a validator on UTF-8 never sees one, and Rust's regex cannot name them.
    for (const [, value] of refusedEverywhere.filter(([kind]) => !kind.includes('surrogate')))
      expect(pattern.test(value)).toBe(false);
    expect(schema.pattern).not.toMatch(/\\uD800/i);
    for (const blank of ['   ', '\ufeff']) expect(pattern.test(blank)).toBe(false);
    expect(pattern.test('\u202eabc')).toBe(false);
    expect(pattern.test(' Zoë ')).toBe(true);
    expect(schema.pattern).not.toMatch(/\\[sS]/);
  });
});
