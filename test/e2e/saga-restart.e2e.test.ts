import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/offline/engines/index.ts';
import { api, type Call, type SignedIn } from '../support/api.ts';
import { type OrderBody, orderableProduct, placeOrder, waitForOrder } from '../support/orders.ts';
import { execution, injectFault, processorBooks } from '../support/saga.ts';

// Its own runtime (not the suite's): this test kills it, engines and all, in the middle of sagas, and starts it again on
// the same data dir. In-memory executions die with it; the orders reconciler must still finish every order.
interface Started {
  child: ChildProcess;
  call: Call;
  env: Record<string, string>;
}

let dataDir = '';
let current: ChildProcess | undefined;

async function start(): Promise<Started> {
  // Its own process group, so a SIGKILL takes PostgreSQL and FerretDB down with it, as a crash of the machine would.
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'infra', 'offline', 'start.ts')], {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      PORTS: 'free',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'ERROR',
      ORDERS_RECONCILE_GRACE_SECONDS: '2',
      // The reconciler every 2 s (a catalog minute offline is a real minute unless told otherwise).
      OFFLINE_SCHEDULE_MINUTE_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  current = child;
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime did not start in 150 s:\n${output}`)), 150_000);
    const onData = (d: Buffer) => {
      output += String(d);
      const m = /READY (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${output}`));
    });
  });
  const env = JSON.parse(await readFile(join(dataDir, 'runtime-env.json'), 'utf8')) as Record<string, string>;
  return { child, env, call: api(url, env.API_KEY) };
}

// Through this runtime's own `call`: the support helpers login/registerCustomer sign in on the suite's runtime.
async function signIn(call: Call, email: string, password: string): Promise<SignedIn> {
  const res = await call<SignedIn>('POST', '/login', { body: { email, password } });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function newCustomer(call: Call): Promise<SignedIn & { email: string; password: string }> {
  const email = `saga-restart-${Date.now().toString(36)}@example.test`;
  const password = 'Correct-Horse-42';
  const res = await call('POST', '/register', { body: { email, password, name: 'Restart Customer' } });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...(await signIn(call, email, password)), email, password };
}

function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(-child.pid!, 'SIGKILL');
  return exited;
}

afterAll(async () => {
  if (current && current.exitCode === null && current.signalCode === null) {
    const exited = new Promise<void>((r) => current!.once('exit', () => r()));
    current.kill('SIGINT');
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('offline runtime killed in the middle of sagas', () => {
  it('after a restart the lost executions are ABORTED and the reconciler drives every order to an end; nothing kept', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'shop-saga-restart-'));
    const first = await start();
    const admin = (await signIn(first.call, 'admin@shop.local', process.env.ADMIN_PASSWORD ?? 'ChangeMe-Admin-2026!'))
      .accessToken;
    const ada = await newCustomer(first.call);
    const product = await orderableProduct(first.call, admin, { amount: 1000, stock: 5 });
    // Every order stops inside ProcessPayment (nothing charged yet) until the process dies.
    await injectFault(first.call, { state: 'ProcessPayment', userId: ada.user.id, delayMs: 120_000, times: 10 });
    const orders: OrderBody[] = [];
    for (let i = 0; i < 3; i++)
      orders.push((await placeOrder(first.call, ada.accessToken, [{ productId: product.id, quantity: 1 }])).body);
    const inPayment = async (id: string) =>
      (await execution(first.call, id))?.events.some((e) => e.state === 'ProcessPayment' && e.type === 'LambdaFunctionStarted');
    for (const o of orders) {
      for (let i = 0; !(await inPayment(o.id)); i++) {
        if (i > 100) throw new Error(`${o.id} never reached ProcessPayment`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    expect((await first.call('GET', `/products/${product.id}/inventory`)).body).toMatchObject({ available: 2, reserved: 3 });
    await killHard(first.child);

    const second = await start();
    for (const o of orders) {
      const lost = await execution(second.call, o.id);
      expect(lost?.execution).toMatchObject({ status: 'ABORTED', error: 'States.Runtime' });
    }
    // Logins survive the restart (PostgreSQL kept them); the reconciler runs every 2 s with a 2 s grace.
    const token = (await signIn(second.call, ada.email, ada.password)).accessToken;
    const final = await Promise.all(
      orders.map((o) => waitForOrder(second.call, token, o.id, ['CONFIRMED', 'CANCELLED'], 90_000)),
    );
    for (const o of final) expect(['CONFIRMED', 'CANCELLED']).toContain(o.status);
    const confirmed = final.filter((o) => o.status === 'CONFIRMED').length;
    const level = (await second.call<{ available: number; reserved: number }>('GET', `/products/${product.id}/inventory`)).body;
    expect(level).toMatchObject({ reserved: 0, available: 5 - confirmed });
    const books = await Promise.all(orders.map((o) => processorBooks(o.id, second.env.PAYMENT_PROCESSOR_URL)));
    expect(books.reduce((s, b) => s + b.captured - b.refunded, 0)).toBe(confirmed * 1000);
  }, 400_000);
});
