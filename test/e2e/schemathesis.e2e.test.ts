import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/offline/engines/index.ts';
import { type OfflineProcess, startOfflineProcess } from '../setup/offline-process.ts';

/**
 * schemathesis (pinned in scripts/setup.mjs, run from .tools/venv) against a fresh offline runtime of its own: every
 * operation of the served spec, all checks, the examples, coverage, fuzzing and stateful phases, as three callers.
 * Check exceptions live in test/schemathesis/schemathesis.toml only. Each run has a time budget (SCHEMATHESIS_SECONDS
 * scales it); the numbers it prints go in docs/api/README.md.
 */
const schemathesis = join(repoRoot, '.tools', 'venv', 'bin', 'schemathesis');
const configFile = join(repoRoot, 'test', 'schemathesis', 'schemathesis.toml');
const seconds = Number(process.env.SCHEMATHESIS_SECONDS ?? 40);
const identities = [
  { name: 'anonymous', budget: seconds },
  { name: 'customer', budget: seconds },
  { name: 'admin', budget: Math.round(seconds * 1.4) },
] as const;

interface Report {
  running_time: number;
  operations: { total: number; selected: number; tested: number; errored: number };
  phases: Record<string, { status: string; skip_reason: string | null }>;
  test_cases: { generated: number; with_failures: number };
  failures: unknown[];
  errors: unknown[];
}

let offline: OfflineProcess;
let work: string;
const bearer: Record<string, string> = {};

async function post(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${offline.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': offline.env.API_KEY ?? '' },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    // In the scratch directory: whatever it writes (reports, state) stays out of the work tree.
    execFile(
      schemathesis,
      args,
      { cwd: work, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

beforeAll(async () => {
  if (!existsSync(schemathesis)) throw new Error(`${schemathesis} is missing: run node scripts/setup.mjs --test`);
  work = await mkdtemp(join(tmpdir(), 'schemathesis-'));
  // One client sends thousands of wrong passwords on purpose: the per-client lockout would stop every sign-in, the
  // register → login → own profile flow included. The per-account lockout stays as it is (and gets tested).
  offline = await startOfflineProcess({ LOGIN_MAX_FAILURES_PER_CLIENT: '1000000' });
  // Tokens first: the fuzzing below hammers /login from this address, which may lock it out for a while.
  const email = `schemathesis-${Date.now().toString(36)}@example.test`;
  await post('/register', { email, password: 'Correct-Horse-42', name: 'Schemathesis Customer' });
  bearer.customer = String((await post('/login', { email, password: 'Correct-Horse-42' })).accessToken);
  const admin = {
    email: process.env.ADMIN_EMAIL ?? 'admin@shop.local',
    password: process.env.ADMIN_PASSWORD ?? 'ChangeMe-Admin-2026!',
  };
  bearer.admin = String((await post('/login', admin)).accessToken);
}, 180_000);

afterAll(async () => {
  await offline?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('schemathesis against the served OpenAPI document', () => {
  it.each(identities)(
    'as $name: every operation, all checks and phases, zero failures',
    async ({ name, budget }) => {
      // The committed config plus this caller's token: a caller without one is anonymous (the API key only).
      const config = join(work, `${name}.toml`);
      const auth = bearer[name] ? `\n[auth.openapi.bearer]\nbearer = "${bearer[name]}"\n` : '';
      await writeFile(config, `${await readFile(configFile, 'utf8')}${auth}`);
      const report = join(work, `${name}.json`);
      const started = Date.now();
      const { code, output } = await run(
        [
          '--config-file',
          config,
          'run',
          `${offline.url}/openapi.json`,
          // Every check is on by default; `--checks all` would also switch back on what the config file switches off.
          '--phases',
          'examples,coverage,fuzzing,stateful',
          '--max-examples',
          '20',
          '--max-time',
          String(budget),
          // One worker: CPython 3.11's ast.parse is not thread-safe, and hypothesis calls it from each worker.
          '--workers',
          '1',
          // The other e2e suites share the 2 cores: a slow answer is not a failure of the contract.
          '--request-timeout',
          '30',
          '--seed',
          process.env.SCHEMATHESIS_SEED ?? '8',
          '--no-color',
          '--report',
          'json',
          '--report-json-path',
          report,
          // Anonymous still has the API key on every request, so signed-in routes answer 401 for the missing token.
          ...(bearer[name] ? [] : ['--header', `x-api-key: ${offline.env.API_KEY ?? ''}`]),
        ],
        { SCHEMATHESIS_API_KEY: offline.env.API_KEY ?? '' },
      );
      const result = JSON.parse(await readFile(report, 'utf8')) as Report;
      const summary = `${name}: ${result.operations.tested}/${result.operations.total} operations, ${result.test_cases.generated} cases, ${Math.round(result.running_time)} s (wall ${Math.round((Date.now() - started) / 1000)} s)`;
      console.log(`schemathesis ${summary}`);
      const tail = output.split('\n').slice(-120).join('\n');
      expect(result.failures, `${summary}\n${tail}`).toEqual([]);
      expect(result.errors, `${summary}\n${tail}`).toEqual([]);
      expect(code, tail).toBe(0);
      expect(result.operations.tested, 'every operation of the spec').toBe(result.operations.total);
      for (const phase of ['examples', 'coverage', 'fuzzing', 'stateful'])
        expect(result.phases[phase]?.status, `${phase}: ${result.phases[phase]?.skip_reason}`).toBe('success');
    },
    600_000,
  );
});
