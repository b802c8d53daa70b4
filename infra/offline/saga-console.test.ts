import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaLocalEndpoints } from './saga-console.ts';
import { executionInput, stubbedSagaRunner } from './saga-test-kit.ts';

describe('offline Step Functions console', () => {
  const { runner, definition } = stubbedSagaRunner();
  const endpoints = sagaLocalEndpoints(runner, definition);
  const server = createServer(async (req, res) => {
    if (!(await endpoints(req, res))) {
      res.writeHead(418);
      res.end();
    }
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    runner.addFault({ state: 'ConfirmOrder', error: 'business', orderId: 'ord_comp' });
    runner.addFault({ state: 'ProcessPayment', error: 'transient', orderId: 'ord_comp' });
    runner.start({ name: 'ord_ok', input: executionInput('ord_ok') });
    runner.start({ name: 'ord_comp', input: executionInput('ord_comp') });
    await runner.idle();
  });
  afterAll(() => server.close());

  it('draws every state of the ASL file and highlights the path taken', async () => {
    const res = await fetch(`${base}/_local/executions/ord_comp`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    for (const name of Object.keys(definition.States)) expect(html).toContain(`data-state="${name}"`);
    expect(html).toMatch(/<g class="state caught" data-state="ConfirmOrder">/);
    expect(html).toMatch(/<g class="state succeeded" data-state="RefundPayment">/);
    expect(html).toMatch(/<g class="state unvisited" data-state="NoStock">/);
    expect(html).toContain('×2'); // ProcessPayment's badge: two tries
    expect(html).toContain('retry 1');
    // ConfirmOrder -> ConfirmationFailed is an edge taken; ConfirmOrder -> Confirmed is not.
    expect(html).toMatch(/class="edge taken catch"[^>]*><title>ConfirmOrder → ConfirmationFailed/);
    expect(html).toMatch(/class="edge {2}next"[^>]*><title>ConfirmOrder → Confirmed/);
  });

  it('gives the same history as JSON with Accept: application/json, and lists executions', async () => {
    const res = await fetch(`${base}/_local/executions/ord_ok`, { headers: { accept: 'application/json' } });
    const body = (await res.json()) as { execution: { status: string }; events: Array<{ type: string }> };
    expect(body.execution.status).toBe('SUCCEEDED');
    expect(body.events.map((e) => e.type)).toEqual(runner.history(runner.get('ord_ok')!.executionArn).map((e) => e.type));
    const list = (await (await fetch(`${base}/_local/executions`)).json()) as { executions: Array<{ name: string }> };
    expect(list.executions.map((e) => e.name).sort()).toEqual(['ord_comp', 'ord_ok']);
    expect((await fetch(`${base}/_local/executions/nope`)).status).toBe(404);
  });

  it('takes faults by POST /_local/faults, refuses states that are not tasks, clears them by DELETE', async () => {
    const post = (body: unknown) =>
      fetch(`${base}/_local/faults`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'content-type': 'application/json' },
      });
    expect((await post({ state: 'ConfirmOrder', times: 2, error: 'transient' })).status).toBe(201);
    expect((await post({ state: 'Confirmed' })).status).toBe(400);
    expect((await post({ times: 2 })).status).toBe(400);
    const cleared = await fetch(`${base}/_local/faults`, { method: 'DELETE' });
    expect(await cleared.json()).toEqual({ faults: [] });
  });
});
