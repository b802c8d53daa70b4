import * as z from 'zod';

/**
 * The one string schema for text that crosses a boundary (every route's and every event's schemas). It refuses
 * what PostgreSQL or a screen cannot take safely: NUL and the other C0 controls (tab and, where a field allows
 * several lines, newline and carriage return excepted), DEL, unpaired UTF-16 surrogates, and, in names, the
 * bidirectional override and isolate characters that make text read differently from what it is.
 * The rules are one regex pattern, so the OpenAPI document states them (`pattern`, with Unicode semantics); its copy
 * there leaves out the surrogate range, which JSON Schema validators on UTF-8 (e.g. Rust's regex) cannot even compile:
 * the API description says it in words. Lengths count characters (code points), as JSON Schema and PostgreSQL do.
 */
const CONTROLS = '\\u0000-\\u0008\\u000A-\\u001F\\u007F';
const CONTROLS_BUT_NEWLINES = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F';
const SURROGATES = '\\uD800-\\uDFFF';
const BIDI_CONTROLS = '\\u202A-\\u202E\\u2066-\\u2069';
/** What String.prototype.trim removes, spelled out: `\s` differs between JavaScript and other regex engines. */
const TRIMMED = '\\t\\n\\u000B\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';

const REFUSED_TEXT = 'must not contain control characters or unpaired surrogates';

export interface TextOptions {
  min?: number;
  max: number;
  /** Newlines allowed (descriptions, notes). */
  multiline?: boolean;
  /** A name people see: bidirectional overrides are refused too. */
  name?: boolean;
  /** Leading and trailing white space is removed; the length limits apply to the text as sent, `min` to what is left. */
  trim?: boolean;
}

const characters = (value: string): number => {
  let n = 0;
  for (const _ of value) n++;
  return n;
};

export function text(options: TextOptions) {
  const controls = `${options.multiline && !options.name ? CONTROLS_BUT_NEWLINES : CONTROLS}${options.name ? BIDI_CONTROLS : ''}`;
  const refused = `${controls}${SURROGATES}`;
  const min = options.min ?? 0;
  const message = options.name ? `${REFUSED_TEXT} or bidirectional overrides` : REFUSED_TEXT;
  // A trimmed text that must not be empty needs one character that trimming keeps: said in the one pattern.
  const pattern = options.trim && min > 0 ? `^[^${controls}]*[^${controls}${TRIMMED}][^${controls}]*$` : `^[^${controls}]*$`;
  const allowed = new RegExp(`^[^${refused}]*$`, 'u');
  // A refinement, not .regex(): the spec gets the pattern below, and one more .regex() (email, phone) stays its own.
  let schema = z
    .string()
    .refine((value) => allowed.test(value), message)
    .refine((value) => characters(value) <= options.max, `must be at most ${options.max} characters`);
  if (options.trim) schema = schema.trim();
  if (min > 0) schema = schema.refine((value) => characters(value) >= min, `must be at least ${min} characters`);
  return schema.meta({ allOf: [{ pattern }], maxLength: options.max, ...(min > 0 ? { minLength: min } : {}) });
}
