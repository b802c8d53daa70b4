import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { buildNotificationsService } from '../../functions/notifications/composition.ts';
import { escapeHtml } from '../../functions/notifications/domain/format.ts';
import { type RecordedMessage, recordingOutage } from '../../functions/notifications/providers/recording.ts';
import { cachedOnce } from '../../shared/cache.ts';
import type { LocalEventBus } from './event-bus.ts';
import { sendJson } from './http-gateway.ts';

const Redrive = z.object({ queue: z.string().min(1).optional(), messageIds: z.array(z.string().min(1)).optional() }).strict();
const Outage = z.object({ email: z.boolean().optional(), sms: z.boolean().optional() }).strict();

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? JSON.parse(raw) : {};
}

const recorded = cachedOnce(async () => (await buildNotificationsService()).recorded);

/** The console stand-in for a mailbox and a phone: every message the recording provider took, newest first. */
export function mailPage(messages: RecordedMessage[]): string {
  const rows = messages.map((m) => {
    const content =
      m.channel === 'email'
        ? // The rendered email as a mail client shows it: sandboxed, no scripts, no navigation.
          `<iframe sandbox srcdoc="${escapeHtml(m.html ?? '')}" title="${escapeHtml(m.subject ?? '')}"></iframe>`
        : `<pre class="sms">${escapeHtml(m.text)}</pre>`;
    return `<section><h2>${m.channel === 'email' ? 'Email' : 'SMS'} to ${escapeHtml(m.to)}</h2>
<p class="meta">${escapeHtml(m.recordedAt)} · ${escapeHtml(m.messageId)} · key ${escapeHtml(m.idempotencyKey)}</p>
${m.subject ? `<p><b>Subject:</b> ${escapeHtml(m.subject)}</p>` : ''}${content}</section>`;
  });
  return `<!doctype html><html><head><meta charset="utf-8"><title>Local mail (${messages.length})</title>
<style>body{font-family:sans-serif;margin:2rem;max-width:60rem}section{border:1px solid #ccc;border-radius:6px;padding:0 1rem 1rem;margin:1rem 0}
.meta{color:#666;font-size:.85em}iframe{width:100%;height:22rem;border:1px solid #eee}.sms{background:#eef;padding:.5rem;white-space:pre-wrap}</style>
</head><body><h1>Local mail</h1><p>${messages.length} message(s) the recording provider took instead of sending (newest first).
<code>?format=json</code> for JSON, <code>?to=</code> for one recipient.</p>${rows.join('\n') || '<p>None yet.</p>'}</body></html>`;
}

/**
 * Offline-only endpoints of the messaging path: `GET /_local/mail` (what would have been sent), `POST /_local/mail/outage`
 * (switch the recording provider to failing and back), `GET /_local/dlq` and `POST /_local/dlq/redrive`.
 */
export function localMessagingEndpoints(bus: LocalEventBus) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://local');
    const route = `${req.method} ${url.pathname}`;
    try {
      switch (route) {
        case 'GET /_local/mail': {
          const messages = await (await recorded()).list({ to: url.searchParams.get('to') ?? undefined });
          if (url.searchParams.get('format') === 'json') sendJson(res, 200, { messages });
          else {
            res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
            res.end(mailPage(messages));
          }
          return true;
        }
        case 'POST /_local/mail/outage':
          Object.assign(recordingOutage, Outage.parse(await readJson(req)));
          sendJson(res, 200, { outage: recordingOutage });
          return true;
        case 'GET /_local/dlq':
          sendJson(res, 200, { queues: bus.queueStats(), deadLetters: bus.deadLetters() });
          return true;
        case 'POST /_local/dlq/redrive':
          sendJson(res, 200, { moved: bus.redrive(Redrive.parse(await readJson(req))) });
          return true;
        default:
          return false;
      }
    } catch (error) {
      sendJson(res, 400, { error: { code: 'BAD_REQUEST', message: (error as Error).message } });
      return true;
    }
  };
}
