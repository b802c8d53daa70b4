import { inject } from 'vitest';
import { apiClient } from './client.ts';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface CallOptions {
  body?: unknown;
  /** A raw string body, sent as is (for malformed-input tests). */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
  /** Leave the API key off (to test that it is required). */
  noApiKey?: boolean;
}

/** A tiny client for end-to-end tests against the offline runtime the e2e global setup started. */
export function api(baseUrl = inject('apiUrl'), apiKey = inject('runtimeEnv').API_KEY) {
  // baseUrl and apiKey ride along so a helper can reach the same runtime through the typed client (test/support/client.ts).
  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (!options.noApiKey && apiKey) headers['x-api-key'] = apiKey;
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the raw text is the body
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }
  return Object.assign(call, { baseUrl, apiKey });
}

export type Call = ReturnType<typeof api>;

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; name: string; role: 'customer' | 'admin' };
}

/** Signs in through `POST /login` with the typed client; throws with the response when that fails. */
export async function login(_call: Call, email: string, password: string): Promise<SignedIn> {
  const { data, error, response } = await apiClient().POST('/login', { body: { email, password } });
  if (!data) throw new Error(`login as ${email} failed: ${response.status} ${JSON.stringify(error)}`);
  return data;
}

/** Registers a fresh customer (unique email) and signs them in. */
export async function registerCustomer(
  call: Call,
  overrides: { email?: string; password?: string; name?: string; phone?: string } = {},
): Promise<SignedIn & { email: string; password: string }> {
  const email = overrides.email ?? `customer-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const password = overrides.password ?? 'Correct-Horse-42';
  const { data, error, response } = await apiClient().POST('/register', {
    body: { email, password, name: overrides.name ?? 'Test Customer', phone: overrides.phone },
  });
  if (!data) throw new Error(`register ${email} failed: ${response.status} ${JSON.stringify(error)}`);
  return { ...(await login(call, email, password)), email, password };
}

/** Signs in as the admin the offline seed creates (ADMIN_EMAIL / ADMIN_PASSWORD, defaults as in the README). */
export async function adminToken(call: Call): Promise<string> {
  const email = process.env.ADMIN_EMAIL ?? 'admin@shop.local';
  const password = process.env.ADMIN_PASSWORD ?? 'ChangeMe-Admin-2026!';
  return (await login(call, email, password)).accessToken;
}

export interface BusEvent {
  'detail-type': string;
  detail: { id: string; correlationId: string; data: Record<string, unknown> };
}

/** Events of one type on the offline bus (`/_local/events`) that match; polls until one shows up or the time is up. */
export async function eventsOnBus(
  call: Call,
  type: string,
  match: (data: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
): Promise<BusEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call<{ events: BusEvent[] }>('GET', '/_local/events');
    const found = res.body.events.filter((e) => e['detail-type'] === type && match(e.detail.data));
    if (found.length || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}
