import { z } from 'zod';

/**
 * The one string schema for text that crosses a boundary (every route's and every event's schemas). It refuses
 * what PostgreSQL or a screen cannot take safely: NUL and the other C0 controls (tab and, where a field allows
 * several lines, newline and carriage return excepted), DEL, unpaired UTF-16 surrogates, and, in names, the
 * bidirectional override and isolate characters that make text read differently from what it is.
 * The rules are regex patterns, so the OpenAPI document states them too (`pattern`, with Unicode semantics).
 */
const SINGLE_LINE = /^[^\u0000-\u0008\u000A-\u001F\u007F\uD800-\uDFFF]*$/u;
const MULTI_LINE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uD800-\uDFFF]*$/u;
const NAME = /^[^\u0000-\u0008\u000A-\u001F\u007F\uD800-\uDFFF\u202A-\u202E\u2066-\u2069]*$/u;

const REFUSED_TEXT = 'must not contain control characters or unpaired surrogates';

export interface TextOptions {
  min?: number;
  max: number;
  /** Newlines allowed (descriptions, notes). */
  multiline?: boolean;
  /** A name people see: bidirectional overrides are refused too. */
  name?: boolean;
  /** Leading and trailing white space is removed before the length check. */
  trim?: boolean;
}

export function text(options: TextOptions) {
  const pattern = options.name ? NAME : options.multiline ? MULTI_LINE : SINGLE_LINE;
  const message = options.name ? `${REFUSED_TEXT} or bidirectional overrides` : REFUSED_TEXT;
  let schema = z.string();
  if (options.trim) schema = schema.trim();
  if (options.min !== undefined) schema = schema.min(options.min);
  return schema.max(options.max).regex(pattern, message);
}

/** True when the whole string is well-formed UTF-16 (no unpaired surrogate): what PostgreSQL can store. */
export function isWellFormed(value: string): boolean {
  return !/[\uD800-\uDFFF]/u.test(value);
}
