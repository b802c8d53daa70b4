import { createServer, type IncomingMessage, type Server } from 'node:http';
import * as z from 'zod';
import { MockPaymentProcessor } from './domain/processor.ts';

/**
 * The processor as an HTTP server on its own port (the offline runtime, the tests and the bench start it). Offline only,
 * `/_control/*` injects faults: added latency, a run of 5xx answers, down (connections are cut) and up again;
 * `GET /_control/stats` counts the API requests that reached it.
 */
export interface Faults {
  latencyMs: number;
  /** The next this-many API requests answer 503 without doing anything. */
  failNext: number;
  /** Every API request's connection is cut, as if nothing listened. */
  down: boolean;
}

const FaultChange = z
  .object({
    latencyMs: z.number().int().min(0).max(60_000).optional(),
    failNext: z.number().int().min(0).max(10_000).optional(),
    down: z.boolean().optional(),
    slowMs: z.number().int().min(0).max(120_000).optional(),
  })
  .strict();

export interface ProcessorServer {
  server: Server;
  processor: MockPaymentProcessor;
  faults: Faults;
  stats: { requests: number };
}

const MAX_BODY = 64 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (!text) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createProcessorServer(processor = new MockPaymentProcessor()): ProcessorServer {
  const faults: Faults = { latencyMs: 0, failNext: 0, down: false };
  const stats = { requests: 0 };
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const url = new URL(req.url ?? '/', 'http://processor');
      const raw = await readBody(req);
      const json = parseJson(raw);
      if (!json.ok)
        return send(400, { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'Bad JSON' } });
      if (url.pathname.startsWith('/_control/')) {
        if (url.pathname === '/_control/faults' && req.method === 'POST') {
          const change = FaultChange.safeParse(json.value ?? {});
          if (!change.success) return send(400, { error: { message: change.error.issues[0]?.message } });
          const { slowMs, ...rest } = change.data;
          Object.assign(faults, rest);
          if (slowMs !== undefined) processor.slowMs = slowMs;
          return send(200, { ...faults, slowMs: processor.slowMs });
        }
        if (url.pathname === '/_control/faults' && req.method === 'GET')
          return send(200, { ...faults, slowMs: processor.slowMs });
        if (url.pathname === '/_control/stats' && req.method === 'GET') return send(200, stats);
        return send(404, { error: { message: 'No such control' } });
      }
      stats.requests++;
      if (faults.down) return req.socket.destroy();
      if (faults.failNext > 0) {
        faults.failNext--;
        return send(503, { error: { type: 'api_error', code: 'processor_unavailable', message: 'Injected failure' } });
      }
      const key = req.headers['idempotency-key'];
      const response = await processor.handle({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        idempotencyKey: Array.isArray(key) ? key[0] : key,
        body: json.value,
      });
      const delay = faults.latencyMs + (response.delayMs ?? 0);
      if (delay) await sleep(delay);
      send(response.status, response.body);
    } catch {
      send(500, { error: { type: 'api_error', code: 'internal', message: 'Processor error' } });
    }
  });
  return { server, processor, faults, stats };
}

/** Starts the processor on 127.0.0.1 (port 0: a free one) and answers its base URL. */
export async function startProcessorServer(port = 0): Promise<ProcessorServer & { url: string; close(): Promise<void> }> {
  const started = createProcessorServer();
  await new Promise<void>((resolve, reject) => {
    started.server.once('error', reject);
    started.server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = started.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    ...started,
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        started.server.close(() => resolve());
        started.server.closeAllConnections();
      }),
  };
}
