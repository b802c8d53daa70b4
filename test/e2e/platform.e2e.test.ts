import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { services } from '../../functions/catalog.ts';
import { repoRoot } from '../../infra/offline/engines/index.ts';
import { isAlive } from '../../infra/offline/engines/ports.ts';
import { startOfflineProcess } from '../setup/offline-process.ts';
import { api, registerCustomer } from '../support/api.ts';

const call = api();

describe('the offline platform', () => {
  it('reports every engine and service healthy at GET /health', async () => {
    const res = await call<{ status: string; checks: Array<{ name: string; ok: boolean }>; services: Array<{ name: string }> }>(
      'GET',
      '/health',
      { noApiKey: true },
    );
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    const names = res.body.checks.map((c) => c.name);
    for (const s of services) {
      if (s.stores.postgres) expect(names).toContain(`postgres:${s.name}`);
      if (s.stores.mongo) expect(names).toContain(`mongo:${s.name}`);
    }
    expect(res.body.checks.every((c) => c.ok)).toBe(true);
    expect(res.body.services.map((s) => s.name).sort()).toEqual(services.map((s) => s.name).sort());
  });

  it('answers an unknown route with a JSON 404 and a wrong method with 405 and Allow', async () => {
    const missing = await call<{ error: { code: string } }>('GET', '/no/such/route');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ROUTE_NOT_FOUND');
    const wrong = await call<{ error: { code: string } }>('DELETE', '/health');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(wrong.body.error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('rejects a body beyond the gateway limit with a JSON 413, without calling the service', async () => {
    const res = await call<{ error: { code: string } }>('POST', '/health', {
      rawBody: 'x'.repeat(11 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });
    expect([405, 413]).toContain(res.status);
    const route = services.flatMap((s) => s.routes).find((r) => r.method === 'POST');
    expect(route, 'the catalog has a POST route').toBeDefined();
    const big = await call<{ error: { code: string } }>('POST', route!.path.replace(/\{[^}]+\}/g, 'x'), {
      rawBody: JSON.stringify({ blob: 'x'.repeat(11 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('turns malformed JSON, a wrong content type and a moderately oversized body into clear 4xx errors on a real route', async () => {
    const route = services.flatMap((s) => s.routes).find((r) => r.method === 'POST' && r.access === 'public');
    expect(route, 'the catalog has a public POST route').toBeDefined();
    const path = route!.path.replace(/\{[^}]+\}/g, 'x');
    const malformed = await call<{ error: { code: string } }>('POST', path, {
      rawBody: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    const wrongType = await call<{ error: { code: string } }>('POST', path, {
      rawBody: 'email=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const tooBig = await call<{ error: { code: string } }>('POST', path, { body: { blob: 'x'.repeat(400 * 1024) } });
    expect(tooBig.status).toBe(413);
  });

  it('requires the API key on metered routes', async () => {
    const route = services
      .flatMap((s) => s.routes)
      .find((r) => r.apiKeyRequired !== false && r.method === 'GET' && r.access === 'public');
    expect(route, 'the catalog has a public GET route behind an API key').toBeDefined();
    const res = await call<{ error: { code: string } }>('GET', route!.path.replace(/\{[^}]+\}/g, 'x'), { noApiKey: true });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('INVALID_API_KEY');
  });

  it('serves request and business metrics as Prometheus text', async () => {
    await call('GET', '/health', { noApiKey: true });
    await registerCustomer(call);
    const res = await fetch(`${inject('apiUrl')}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{route="GET \/health",status="200"\} \d+/);
    expect(text).toMatch(/shop_business_events_total\{metric="UserRegistered",service="shop-users"\} [1-9]/);
  });
});

describe('stopping the platform', () => {
  it('stops every engine process on Ctrl-C (SIGINT), leaving no orphans', async () => {
    const offline = await startOfflineProcess({ SEED: 'false' });
    const pids = (offline.env.ENGINE_PIDS ?? '').split(',').filter(Boolean).map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(1);
    expect(pids.every(isAlive)).toBe(true);
    const code = await offline.stop();
    // 130 = 128 + SIGINT, the conventional status of a program stopped by Ctrl-C after a clean shutdown.
    expect([0, 130]).toContain(code);
    expect(offline.output()).toContain('stopped');
    expect(pids.filter(isAlive)).toEqual([]);
    await expect(fetch(`${offline.url}/health`)).rejects.toThrow();
  });

  it('stops every engine it started on Ctrl-C while the engines are still starting', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'shop-e2e-'));
    // Node itself, not the tsx CLI: that wrapper SIGKILLs a child whose busy event loop takes over 30 ms to see the signal.
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'infra', 'offline', 'start.ts')], {
      cwd: repoRoot,
      env: { ...process.env, PORTS: 'free', DATA_DIR: dataDir, LOG_LEVEL: 'ERROR' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Engine processes are found by the throwaway data directory on their command line (PostgreSQL -D, FerretDB --state-dir).
    const enginesOfThisRun = () =>
      execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(dataDir))
        .map((line) => Number.parseInt(line, 10));
    try {
      await new Promise<void>((resolve) => {
        const onData = (d: Buffer) => {
          output += String(d);
          if (output.includes('starting engines')) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
      });
      child.kill('SIGINT');
      const code = await exited;
      expect(enginesOfThisRun(), output).toEqual([]);
      expect([0, 130], output).toContain(code);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of enginesOfThisRun()) process.kill(pid, 'SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
