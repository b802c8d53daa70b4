import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/api.ts';

const call = api();
let admin: string;

beforeAll(async () => {
  admin = await adminToken(call);
});

/**
 * Each kind of text shared/text.ts refuses, as the JSON escape a client sends (a lone surrogate can only arrive that
 * way). Before the shared schema, NUL and lone surrogates reached PostgreSQL on users routes and came back as 500.
 */
const refused: Array<[kind: string, escaped: string]> = [
  ['NUL (U+0000)', '\\u0000'],
  ['a C0 control (BEL)', '\\u0007'],
  ['ESC', '\\u001b'],
  ['a newline in a one-line field', '\\n'],
  ['a carriage return in a one-line field', '\\r'],
  ['DEL', '\\u007f'],
  ['an unpaired high surrogate (\\ud800)', '\\ud800'],
  ['an unpaired low surrogate (\\udc00)', '\\udc00'],
  ['a right-to-left override in a name', '\\u202e'],
  ['a first-strong isolate in a name', '\\u2068'],
];

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** The body as raw JSON text, `bad` spliced in where the placeholder is: JSON.stringify would rewrite the escape. */
function rawJson(body: Record<string, unknown>, bad: string): string {
  return JSON.stringify(body).replace('@BAD@', bad);
}

async function expectRefused(res: { status: number; body: unknown }, field: string) {
  expect(res.status).toBe(400);
  const error = (res.body as { error: { code: string; details: Array<{ path: string }> } }).error;
  expect(error.code).toBe('VALIDATION_FAILED');
  expect(error.details.map((d) => d.path)).toContain(field);
}

describe('text the shared string schema refuses is a 400, never a 500', () => {
  it.each(refused)('users: %s in the name of POST /register', async (_kind, bad) => {
    const body = { email: `text-${unique()}@example.test`, password: 'Correct-Horse-42', name: 'Ada @BAD@ Lovelace' };
    const headers = { 'content-type': 'application/json' };
    await expectRefused(await call('POST', '/register', { rawBody: rawJson(body, bad), headers }), 'name');
  });

  it.each(refused.filter(([kind]) => !kind.includes('in a name')))(
    'users: %s in the email of POST /login',
    async (_kind, bad) => {
      const body = { email: 'ada@BAD@@example.test', password: 'Correct-Horse-42' };
      const headers = { 'content-type': 'application/json' };
      await expectRefused(await call('POST', '/login', { rawBody: rawJson(body, bad), headers }), 'email');
    },
  );

  it.each(refused)('products: %s in the name of POST /products', async (_kind, bad) => {
    const body = { name: 'Lamp @BAD@ deluxe', category: 'e2e', price: { amount: 100, currency: 'USD' } };
    const headers = { 'content-type': 'application/json' };
    await expectRefused(await call('POST', '/products', { rawBody: rawJson(body, bad), headers, token: admin }), 'name');
  });

  // In a URL a lone surrogate cannot arrive: percent-decoding turns its bytes into U+FFFD, which is fine text.
  it.each(refused.filter(([kind]) => !kind.includes('in a name') && !kind.includes('surrogate')))(
    'products: %s in the search text of GET /products',
    async (_kind, bad) => {
      const q = encodeURIComponent(JSON.parse(`"a${bad}b"`) as string);
      const res = await call('GET', `/products?q=${q}`);
      expect(res.status).toBe(400);
    },
  );

  it('the same characters are fine where a field allows them: a newline and tab in a product description', async () => {
    const body = {
      name: `Lamp ${unique()}`,
      description: 'line one @BAD@ line two',
      category: 'e2e',
      price: { amount: 100, currency: 'USD' },
    };
    const headers = { 'content-type': 'application/json' };
    const res = await call<{ description: string }>('POST', '/products', {
      rawBody: rawJson(body, '\\n\\t'),
      headers,
      token: admin,
    });
    expect(res.status).toBe(201);
    expect(res.body.description).toBe('line one \n\t line two');
  });
});
