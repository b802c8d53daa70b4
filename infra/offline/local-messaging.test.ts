import { describe, expect, it } from 'vitest';
import { mailPage } from './local-messaging.ts';

describe('/_local/mail', () => {
  it('shows each message with the email sandboxed in an iframe and nothing of it able to break out of the page', () => {
    const page = mailPage([
      {
        idempotencyKey: 'evt_1:email',
        messageId: 'msg_1',
        channel: 'email',
        to: 'ada@example.com',
        subject: 'Hi <there>',
        text: 'Hello',
        html: '<p>Hello &lt;b&gt;</p>"></iframe><script>alert(1)</script>',
        recordedAt: '2030-01-01T00:00:00.000Z',
      },
      {
        idempotencyKey: 'evt_1:sms',
        messageId: 'msg_2',
        channel: 'sms',
        to: '+447946000000',
        subject: null,
        text: 'Shop: <hi>',
        html: null,
        recordedAt: '2030-01-01T00:00:00.000Z',
      },
    ]);
    expect(page).toContain('<h2>Email to ada@example.com</h2>');
    expect(page).toContain('<b>Subject:</b> Hi &lt;there&gt;');
    expect(page).toContain(
      '<iframe sandbox srcdoc="&lt;p&gt;Hello &amp;lt;b&amp;gt;&lt;/p&gt;&quot;&gt;&lt;/iframe&gt;&lt;script&gt;',
    );
    expect(page).not.toContain('<script>');
    expect(page).toContain('<pre class="sms">Shop: &lt;hi&gt;</pre>');
  });
});
