import { describe, expect, it } from 'vitest';
import { escapeHtml, formatMoney, html } from './format.ts';

describe('formatMoney', () => {
  it('places the point by the currency’s own minor units', () => {
    expect(formatMoney({ amount: 2598, currency: 'USD' })).toBe('$25.98');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('€0.05');
    expect(formatMoney({ amount: 0, currency: 'GBP' })).toBe('£0.00');
    expect(formatMoney({ amount: 2598, currency: 'JPY' })).toBe('¥2,598');
    expect(formatMoney({ amount: 1234567, currency: 'KWD' })).toBe('KWD\u00a01,234.567');
  });

  it('is exact for amounts a double would round (no float division)', () => {
    expect(formatMoney({ amount: 100_000_000_000, currency: 'USD' })).toBe('$1,000,000,000.00');
    expect(formatMoney({ amount: 99_999_999_999, currency: 'USD' })).toBe('$999,999,999.99');
    expect(formatMoney({ amount: 1015, currency: 'USD' })).toBe('$10.15');
  });
});

describe('HTML escaping', () => {
  it('escapes the five characters that can open markup or an attribute', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('escapes every interpolation of the html template but nests html fragments once', () => {
    const name = '<script>alert(1)</script>';
    const item = html`<li>${name}</li>`;
    expect(html`<ul>${[item, item]}</ul>${null}${undefined}`.value).toBe(
      '<ul><li>&lt;script&gt;alert(1)&lt;/script&gt;</li><li>&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>',
    );
  });
});
