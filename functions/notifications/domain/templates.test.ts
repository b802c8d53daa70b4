import { describe, expect, it } from 'vitest';
import { eventSchema } from '../../../shared/events/index.ts';
import { isGsm7, SMS_MAX_SEPTETS, septetLength } from './gsm7.ts';
import { type NotifyingEvent, notifyingEvents, render, type TemplateData } from './templates.ts';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const ids = {
  userId: 'usr_01k9z8x7w6v5t4s3r2q1p0n9m8',
  orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8',
  paymentId: 'pay_01k9z8x7w6v5t4s3r2q1p0n9m8',
};
const at = '2030-01-15T09:30:00.000Z';
const contact = { userId: ids.userId, email: 'ada@example.com', name: 'Ada', phone: null };
const raw: Record<NotifyingEvent, Record<string, unknown>> = {
  'user.registered': { ...contact, role: 'customer', registeredAt: at },
  'user.password.changed': { ...contact, changedAt: at },
  'order.created': {
    orderId: ids.orderId,
    userId: ids.userId,
    lines: [
      { productId: 'prd_1', name: 'Chef’s <knife>', quantity: 2, unitPrice: usd(1299) },
      { productId: 'prd_2', name: 'Board & Co', quantity: 1, unitPrice: usd(0) },
    ],
    total: usd(2598),
    createdAt: at,
  },
  'order.confirmed': { orderId: ids.orderId, userId: ids.userId, total: usd(2598), confirmedAt: at },
  'order.cancelled': { orderId: ids.orderId, userId: ids.userId, reason: 'PAYMENT_DECLINED', cancelledAt: at },
  'payment.completed': { ...ids, amount: usd(2598), brand: 'visa', last4: '4242' },
  'payment.failed': { ...ids, amount: usd(2598), reason: 'insufficient_funds' },
  'payment.refunded': { ...ids, refundId: 'ref_1', amount: usd(1000), refundedTotal: usd(2598) },
};
// Every sample is valid against the schema its producer registered: the templates read what is really published.
const samples = Object.fromEntries(
  Object.entries(raw).map(([type, data]) => [type, eventSchema(type)!.parse(data)]),
) as unknown as TemplateData;

describe('templates', () => {
  it.each(notifyingEvents)('%s: subject, text and a complete HTML document', (type) => {
    const out = render(type, samples[type] as never, 'Ada');
    expect(out.email.subject.length).toBeGreaterThan(5);
    expect(out.email.text).toMatch(/^Hello Ada,/);
    expect(out.email.html).toMatch(/^<!doctype html>[\s\S]*<\/html>$/);
    if (out.sms !== null) {
      expect(isGsm7(out.sms)).toBe(true);
      expect(septetLength(out.sms)).toBeLessThanOrEqual(SMS_MAX_SEPTETS);
    }
  });

  it('escapes the user’s name and product names in HTML, and keeps them as typed in the text', () => {
    const name = `<img src=x onerror="alert('x')">`;
    const out = render('order.created', samples['order.created'], name);
    expect(out.email.html).not.toContain('<img');
    expect(out.email.html).toContain('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;');
    expect(out.email.html).toContain('Chef’s &lt;knife&gt;');
    expect(out.email.html).toContain('Board &amp; Co');
    expect(out.email.text).toContain(`Hello ${name},`);
    expect(out.email.text).toContain('2 x Chef’s <knife> at $12.99');
  });

  it('formats money from minor units and currency', () => {
    expect(render('order.confirmed', samples['order.confirmed'], 'Ada').email.text).toContain('Total charged: $25.98.');
    const yen = render('payment.completed', { ...samples['payment.completed'], amount: { amount: 2598, currency: 'JPY' } }, 'A');
    expect(yen.email.text).toContain('¥2,598');
  });

  it('says why an order was cancelled, and whether money goes back', () => {
    const declined = render('order.cancelled', samples['order.cancelled'], 'Ada');
    expect(declined.email.text).toContain('because the payment was declined');
    expect(declined.email.text).toContain('You have not been charged.');
    const refunded = render('order.cancelled', { ...samples['order.cancelled'], refunded: true }, 'Ada');
    expect(refunded.email.text).toContain('What you paid is being refunded');
  });

  it('cuts an SMS on purpose when a long name would overflow it', () => {
    const sms = render('order.confirmed', samples['order.confirmed'], 'Bartholomew '.repeat(20).trim()).sms!;
    expect(septetLength(sms)).toBeLessThanOrEqual(SMS_MAX_SEPTETS);
    expect(sms.endsWith('...')).toBe(true);
  });

  it('sends SMS only for security and outcomes, not for every step', () => {
    const withSms = notifyingEvents.filter((t) => render(t, samples[t] as never, 'Ada').sms !== null);
    expect(withSms).toEqual([
      'user.password.changed',
      'order.confirmed',
      'order.cancelled',
      'payment.failed',
      'payment.refunded',
    ]);
  });
});
