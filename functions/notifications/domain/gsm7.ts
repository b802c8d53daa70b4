/** One SMS segment holds 160 characters of the GSM 03.38 7-bit alphabet; anything else would switch to UCS-2 (70). */
export const SMS_MAX_SEPTETS = 160;

// The basic table (one septet each) and the extension table (escape + char: two septets each), GSM 03.38.
const BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const EXTENSION = new Set('^{}\\[~]|€\f');

/** Look-alikes for characters people type that GSM-7 lacks (typographic quotes, dashes, ellipsis, odd spaces). */
const LOOKALIKES: Record<string, string> = {
  '\u2018': "'",
  '\u2019': "'",
  '\u201A': "'",
  '\u201C': '"',
  '\u201D': '"',
  '\u201E': '"',
  '\u2013': '-',
  '\u2014': '-',
  '\u2212': '-',
  '\u2026': '...',
  '\u00A0': ' ',
  '\u2009': ' ',
  '\u202F': ' ',
  '\t': ' ',
};

export function septets(char: string): number {
  return EXTENSION.has(char) ? 2 : 1;
}

export function isGsm7(text: string): boolean {
  for (const char of text) if (!BASIC.has(char) && !EXTENSION.has(char)) return false;
  return true;
}

/**
 * Text in the GSM-7 alphabet: characters outside it become a look-alike, their letter without its accent
 * (`ł` stays `?` but `á` becomes `a`), or `?`, so a name in any script can never turn the message into UCS-2.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const char of text) {
    if (BASIC.has(char) || EXTENSION.has(char)) out += char;
    else if (LOOKALIKES[char] !== undefined) out += LOOKALIKES[char];
    else {
      const base = char.normalize('NFD').replace(/\p{M}+/gu, '');
      out += base.length === 1 && BASIC.has(base) ? base : '?';
    }
  }
  return out;
}

export function septetLength(text: string): number {
  let n = 0;
  for (const char of text) n += septets(char);
  return n;
}

export interface SmsText {
  text: string;
  septets: number;
  /** True when the text was longer than one message and was cut (ending in `...`). */
  cut: boolean;
}

const ELLIPSIS = '...';

/**
 * One SMS: converted to GSM-7 and, when longer than 160 septets, cut on purpose at a word boundary (or mid-word when
 * the last word is long) with `...` at the end. An escaped character (2 septets) is never split in half.
 */
export function fitSms(text: string, max = SMS_MAX_SEPTETS): SmsText {
  const gsm = toGsm7(text).trim();
  const length = septetLength(gsm);
  if (length <= max) return { text: gsm, septets: length, cut: false };
  const budget = max - ELLIPSIS.length;
  let kept = '';
  let used = 0;
  for (const char of gsm) {
    if (used + septets(char) > budget) break;
    kept += char;
    used += septets(char);
  }
  const lastSpace = kept.lastIndexOf(' ');
  if (lastSpace >= budget - 20) kept = kept.slice(0, lastSpace);
  kept = kept.trimEnd();
  const result = kept + ELLIPSIS;
  return { text: result, septets: septetLength(result), cut: true };
}
