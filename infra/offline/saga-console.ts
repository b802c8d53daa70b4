import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { type AslDefinition, transitions } from '../saga-definition.ts';
import { sendJson } from './http-gateway.ts';
import type { ExecutionRecord, HistoryEvent, LocalSagaRunner } from './saga-runner.ts';

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const NODE_W = 178;
const NODE_H = 38;
const COL_W = 210;
const ROW_H = 76;

interface Placed {
  name: string;
  type: string;
  x: number;
  y: number;
}

/** Layers by longest path from StartAt; the happy path in the first column, the rest (reasons, compensations) to its right. */
function layout(definition: AslDefinition): Map<string, Placed> {
  const edges = transitions(definition);
  const rank = new Map<string, number>([[definition.StartAt, 0]]);
  // The saga is acyclic: relaxing every edge once per state settles the longest paths.
  for (let i = 0; i < Object.keys(definition.States).length; i++)
    for (const e of edges) {
      const r = (rank.get(e.from) ?? -1) + 1;
      if (rank.has(e.from) && r > (rank.get(e.to) ?? -1)) rank.set(e.to, r);
    }
  const happy = new Set<string>();
  for (
    let s: string | undefined = definition.StartAt;
    s && !happy.has(s);
    s = definition.States[s]?.Next ?? definition.States[s]?.Default
  )
    happy.add(s);
  const used = new Map<number, number>();
  const placed = new Map<string, Placed>();
  for (const [name, state] of Object.entries(definition.States)) {
    const r = rank.get(name) ?? 0;
    let col = 0;
    if (!happy.has(name)) {
      col = (used.get(r) ?? 0) + 1;
      used.set(r, col);
    }
    placed.set(name, { name, type: state.Type, x: 20 + col * COL_W, y: 20 + r * ROW_H });
  }
  return placed;
}

type Visit = 'succeeded' | 'caught' | 'failed' | 'running' | undefined;

/** What happened to each state in this execution, and how many tries each task took. */
function visits(record: ExecutionRecord) {
  const entered: string[] = [];
  const outcome = new Map<string, Visit>();
  const tries = new Map<string, number>();
  for (const e of record.history) {
    if (!e.state) continue;
    if (e.type.endsWith('StateEntered')) {
      entered.push(e.state);
      outcome.set(e.state, 'running');
    }
    if (e.type === 'LambdaFunctionScheduled') tries.set(e.state, e.attempt ?? 1);
    if (e.type.endsWith('StateExited')) outcome.set(e.state, outcome.get(e.state) === 'failed' ? 'caught' : 'succeeded');
    if (e.type === 'LambdaFunctionFailed' || e.type === 'LambdaFunctionTimedOut') outcome.set(e.state, 'failed');
    if (e.type === 'LambdaFunctionSucceeded') outcome.set(e.state, 'running');
  }
  // A Fail state "fails" by design; the execution's status says the rest.
  const last = entered.at(-1);
  if (last && record.status === 'FAILED') outcome.set(last, 'failed');
  return { entered, outcome, tries };
}

const FILL: Record<string, string> = {
  succeeded: '#d4edda',
  caught: '#ffe5b4',
  failed: '#f8d7da',
  running: '#cfe2ff',
};
const STROKE: Record<string, string> = {
  succeeded: '#2e7d32',
  caught: '#e67e22',
  failed: '#c62828',
  running: '#1565c0',
};

export function renderGraph(definition: AslDefinition, record?: ExecutionRecord): string {
  const placed = layout(definition);
  const { entered, outcome, tries } = record ? visits(record) : { entered: [], outcome: new Map(), tries: new Map() };
  const taken = new Set(entered.slice(1).map((to, i) => `${entered[i]}->${to}`));
  const width = Math.max(...[...placed.values()].map((p) => p.x)) + NODE_W + 20;
  const height = Math.max(...[...placed.values()].map((p) => p.y)) + NODE_H + 20;
  const edges = transitions(definition)
    .filter((e, i, all) => all.findIndex((o) => o.from === e.from && o.to === e.to) === i)
    // The path taken is drawn last, over the others.
    .sort((a, b) => Number(taken.has(`${a.from}->${a.to}`)) - Number(taken.has(`${b.from}->${b.to}`)))
    .map((e) => {
      const a = placed.get(e.from)!;
      const b = placed.get(e.to)!;
      const on = taken.has(`${e.from}->${e.to}`);
      const [x1, y1] = [a.x + NODE_W / 2, a.y + NODE_H];
      const [x2, y2] = [b.x + NODE_W / 2, b.y];
      const bend = Math.max(20, (y2 - y1) / 2);
      return `<path class="edge ${on ? 'taken' : ''} ${e.kind}" d="M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}" marker-end="url(#${on ? 'arrow-on' : 'arrow'})"><title>${esc(e.from)} → ${esc(e.to)} (${e.kind})</title></path>`;
    });
  const nodes = [...placed.values()].map((p) => {
    const o = outcome.get(p.name);
    const n = tries.get(p.name) ?? 0;
    const rx = p.type === 'Choice' ? 18 : p.type === 'Pass' ? 4 : 8;
    const dash = p.type === 'Pass' || p.type === 'Choice' ? ' stroke-dasharray="4 3"' : '';
    const badge = n > 1 ? `<text x="${p.x + NODE_W - 6}" y="${p.y + 12}" class="badge" text-anchor="end">×${n}</text>` : '';
    return `<g class="state ${o ?? 'unvisited'}" data-state="${esc(p.name)}"><rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="${rx}" fill="${FILL[o ?? ''] ?? '#f5f5f5'}" stroke="${STROKE[o ?? ''] ?? '#bbb'}"${dash}/><text x="${p.x + NODE_W / 2}" y="${p.y + 17}" text-anchor="middle" class="name">${esc(p.name)}</text><text x="${p.x + NODE_W / 2}" y="${p.y + 31}" text-anchor="middle" class="type">${esc(p.type)}</text>${badge}<title>${esc(definition.States[p.name]?.Comment ?? p.name)}</title></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="state graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#bbb"/></marker>
<marker id="arrow-on" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1565c0"/></marker></defs>
${edges.join('\n')}
${nodes.join('\n')}
</svg>`;
}

function details(e: HistoryEvent): { input?: string; output?: string; error?: string; cause?: string } {
  for (const [k, v] of Object.entries(e))
    if (k.endsWith('EventDetails') && v && typeof v === 'object') return v as Record<string, string>;
  return {};
}

const pretty = (s?: string) => {
  if (s === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
};

export function renderTimeline(record: ExecutionRecord): string {
  const rows = record.history.map((e) => {
    const d = details(e);
    const cls = /Failed|TimedOut|Aborted/.test(e.type) ? 'bad' : /Succeeded/.test(e.type) ? 'good' : '';
    const retry =
      e.type === 'LambdaFunctionScheduled' && (e.attempt ?? 1) > 1 ? `<span class="retry">retry ${e.attempt! - 1}</span>` : '';
    const blocks = (['input', 'output', 'error', 'cause'] as const)
      .filter((k) => d[k] !== undefined)
      .map(
        (k) =>
          `<details${k === 'error' || k === 'cause' ? ' open' : ''}><summary>${k}</summary><pre>${esc(pretty(d[k]))}</pre></details>`,
      )
      .join('');
    return `<tr class="${cls}"><td>${e.id}</td><td>+${e.timestamp - record.startDate} ms</td><td>${esc(e.type)} ${retry}</td><td>${esc(e.state ?? '')}</td><td>${blocks}</td></tr>`;
  });
  return `<table class="timeline"><thead><tr><th>#</th><th>time</th><th>event</th><th>state</th><th>details</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderExecutionPage(definition: AslDefinition, record: ExecutionRecord): string {
  const stopped = record.stopDate ? `${new Date(record.stopDate).toISOString()} (${record.stopDate - record.startDate} ms)` : '—';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(record.name)} · order saga</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#232f3e;color:#fff;padding:10px 20px}header a{color:#ff9900}
main{display:flex;gap:24px;padding:16px 20px;align-items:flex-start}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px}
.status{display:inline-block;padding:2px 8px;border-radius:10px;font-weight:600}
.SUCCEEDED{background:#d4edda;color:#1b5e20}.FAILED,.TIMED_OUT,.ABORTED{background:#f8d7da;color:#b71c1c}.RUNNING{background:#cfe2ff;color:#0d47a1}
dl{display:grid;grid-template-columns:auto 1fr;gap:2px 12px;margin:8px 0}dt{color:#666}
.edge{fill:none;stroke:#ccc;stroke-width:1.2}.edge.catch{stroke-dasharray:5 4}.edge.taken{stroke:#1565c0;stroke-width:3;stroke-dasharray:none}
.state text.name{font-size:12px;font-weight:600}.state text.type{font-size:10px;fill:#666}.state.unvisited text{fill:#999}
.badge{font-size:11px;fill:#e67e22;font-weight:700}
.timeline{border-collapse:collapse;width:100%;font-size:12px}.timeline td:nth-child(2){white-space:nowrap}.timeline td,.timeline th{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
.timeline tr.bad td:nth-child(3){color:#c62828;font-weight:600}.timeline tr.good td:nth-child(3){color:#2e7d32}
.retry{background:#ffe5b4;color:#a84300;border-radius:8px;padding:0 6px;font-size:11px}
pre{margin:2px 0;max-width:560px;max-height:220px;overflow:auto;background:#f6f8fa;padding:4px 6px;font-size:11px}
details summary{cursor:pointer;color:#555}
.legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:4px;font-size:12px}
</style></head><body>
<header><strong>Step Functions (offline)</strong> › <a href="/_local/executions">executions</a> › ${esc(record.name)}</header>
<main>
<section><h3 style="margin:0 0 6px">Graph</h3>
<div class="legend"><span style="background:${FILL.succeeded}">succeeded</span><span style="background:${FILL.caught}">failed, caught</span><span style="background:${FILL.failed}">failed</span><span style="background:${FILL.running}">running</span><span style="background:#f5f5f5">not run</span></div>
${renderGraph(definition, record)}</section>
<section style="flex:1;min-width:520px"><h3 style="margin:0">${esc(record.name)} <span class="status ${record.status}">${record.status}</span></h3>
<dl><dt>execution</dt><dd>${esc(record.executionArn)}</dd><dt>started</dt><dd>${new Date(record.startDate).toISOString()}</dd><dt>stopped</dt><dd>${stopped}</dd>
${record.error ? `<dt>error</dt><dd>${esc(record.error)}</dd><dt>cause</dt><dd>${esc(record.cause)}</dd>` : ''}</dl>
<details><summary>input</summary><pre>${esc(pretty(record.input))}</pre></details>
${record.output ? `<details><summary>output</summary><pre>${esc(pretty(record.output))}</pre></details>` : ''}
<h3>Events (${record.history.length})</h3>${renderTimeline(record)}</section>
</main></body></html>`;
}

const FaultBody = z.object({
  state: z.string().min(1).max(80),
  times: z.number().int().min(1).max(1000).optional(),
  error: z.string().min(1).max(80).optional(),
  orderId: z.string().min(1).max(100).optional(),
  userId: z.string().min(1).max(100).optional(),
  delayMs: z.number().int().min(0).max(120_000).optional(),
});

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? JSON.parse(raw) : {};
}

/**
 * The console stand-in and test hooks on the gateway: GET /_local/executions (JSON), GET /_local/executions/{name}
 * (HTML page, or JSON with Accept: application/json), POST/GET/DELETE /_local/faults.
 */
export function sagaLocalEndpoints(runner: LocalSagaRunner, definition: AslDefinition) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/_local/faults') {
      if (req.method === 'POST') {
        let body: unknown;
        try {
          body = await readJson(req);
        } catch {
          sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: 'Body is not JSON' } });
          return true;
        }
        const parsed = FaultBody.safeParse(body);
        const known = parsed.success && definition.States[parsed.data.state]?.Type === 'Task';
        if (!parsed.success || !known) {
          sendJson(res, 400, {
            error: {
              code: 'VALIDATION_FAILED',
              message: parsed.success ? `${parsed.data.state} is not a task state of the saga` : 'Invalid fault',
              details: parsed.success ? undefined : parsed.error.issues,
            },
          });
          return true;
        }
        runner.addFault(parsed.data);
        sendJson(res, 201, { faults: runner.listFaults() });
        return true;
      }
      if (req.method === 'DELETE') runner.clearFaults();
      sendJson(res, 200, { faults: runner.listFaults() });
      return true;
    }
    if (req.method !== 'GET') return false;
    if (path === '/_local/executions') {
      sendJson(res, 200, { stateMachineArn: runner.stateMachineArn, executions: runner.list() });
      return true;
    }
    const m = /^\/_local\/executions\/([^/]+)$/.exec(path);
    if (!m) return false;
    const record = runner.get(decodeURIComponent(m[1]!));
    const wantsJson = /application\/json/.test(String(req.headers.accept ?? ''));
    if (!record) {
      if (wantsJson) sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `No execution named ${m[1]}` } });
      else {
        res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><p>No execution named ${esc(m[1])}. <a href="/_local/executions">All executions</a></p>`);
      }
      return true;
    }
    if (wantsJson) {
      const { history, ...execution } = record;
      sendJson(res, 200, { execution, events: history });
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(renderExecutionPage(definition, record));
    return true;
  };
}
