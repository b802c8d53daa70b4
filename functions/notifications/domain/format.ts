import type { Money } from '../../../shared/money.ts';

const formats = new Map<string, Intl.NumberFormat>();
function currencyFormat(currency: string): Intl.NumberFormat {
  let format = formats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format;
}

/**
 * Money from integer minor units: `{ amount: 2598, currency: 'USD' }` is `$25.98`, `{ 2598, JPY }` is `¥2,598`.
 * The currency's own number of minor digits (ISO 4217, as Intl knows it) places the point; the decimal is built
 * as a string, so no binary fraction ever rounds a cent away.
 */
export function formatMoney(money: Money): string {
  const format = currencyFormat(money.currency);
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  const units = String(money.amount).padStart(digits + 1, '0');
  const decimal = digits ? `${units.slice(0, -digits)}.${units.slice(-digits)}` : units;
  // Intl formats a decimal string exactly (no conversion to a double).
  return format.format(decimal as unknown as number);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Markup built by `html`: inserted as is into another `html` template, never escaped twice. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/**
 * A template literal whose interpolations are escaped unless they are `SafeHtml` (or arrays of them): a user's
 * name can never become markup, whatever template forgets to think of it.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}
