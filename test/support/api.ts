import { inject } from 'vitest';

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
  return async function call<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
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
  };
}
