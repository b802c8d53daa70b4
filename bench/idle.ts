// An idle platform: CPU of the whole offline runtime (Node, PostgreSQL, FerretDB and their children) over a minute with
// no requests, then how long an event takes from the write that made it to the offline bus.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOffline, treeCpuSeconds } from './lib/offline.ts';
import { median, recordResults, table } from './lib/results.ts';

const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-idle-'));
const platform = await startOffline(dataDir);
try {
  await sleep(10_000); // the seed's own events and first schedule runs settle
  const cpu0 = await treeCpuSeconds(platform.child.pid!);
  const t0 = performance.now();
  await sleep(idleSeconds * 1000);
  const cpu1 = await treeCpuSeconds(platform.child.pid!);
  const wall = (performance.now() - t0) / 1000;
  const idlePercent = ((cpu1 - cpu0) / wall) * 100;

  const headers = { 'content-type': 'application/json', 'x-api-key': platform.apiKey };
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const email = `idle-${Date.now()}-${i}@bench.local`;
    const res = await fetch(`${platform.url}/register`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ email, password: 'Bench-Password-2026!', name: 'Bench User' }),
    });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${await res.text()}`);
    const written = performance.now();
    for (;;) {
      const bus = (await (await fetch(`${platform.url}/_local/events`)).json()) as {
        events: Array<{ 'detail-type': string; detail: { data: { email?: string } } }>;
      };
      if (bus.events.some((e) => e['detail-type'] === 'user.registered' && e.detail.data.email === email)) break;
      if (performance.now() - written > 30_000) throw new Error('user.registered not on the bus after 30 s');
      await sleep(20);
    }
    latencies.push(performance.now() - written);
  }
  console.log(
    table(
      ['what', 'value', 'target'],
      [
        [`idle CPU over ${wall.toFixed(0)} s (runtime + engines)`, `${idlePercent.toFixed(2)} % of a core`, '< 1 %'],
        ['write -> event on the bus (median of 5)', `${median(latencies).toFixed(0)} ms`, '< 2000 ms'],
        ['write -> event on the bus (max of 5)', `${Math.max(...latencies).toFixed(0)} ms`, '< 2000 ms'],
      ],
    ),
  );
  recordResults('idle', {
    idleSeconds: Number(wall.toFixed(1)),
    idleCpuPercent: Number(idlePercent.toFixed(2)),
    relayMs: latencies.map((l) => Math.round(l)),
  });
} finally {
  await platform.stop();
  await rm(dataDir, { recursive: true, force: true });
}
