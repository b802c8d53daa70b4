import { describe, expect, it } from 'vitest';
import { isGsm7, SMS_MAX_SEPTETS, septetLength } from './gsm7.ts';
import { notifyingEvents, render, type TemplateData } from './templates.ts';

const usd = (amount: number) => ({ amount, currency: 'USD' });
const samples: TemplateData = {
  'user.registered': { name: 'Ada', email: 'ada@example.com' },
  'user.password.changed': { name: 'Ada', changedAt: '2026-01-15T09:30:00.000Z' },
  'order.created': {
    orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8',
    lines: [
      { productId: 'prd_1', name: 'Chef’s <knife>', quantity: 2, unitPrice: usd(1299) },
      { productId: 'prd_2', name: 'Board & Co', quantity: 1, unitPrice: usd(0) },
    ],
    total: usd(2598),
  },
  'order.confirmed': { orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8', total: usd(2598) },
  'order.cancelled': { orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8', reason: 'PAYMENT_DECLINED' },
  'payment.completed': { orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8', amount: usd(2598), brand: 'visa', last4: '4242' },
  'payment.failed': { orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8', amount: usd(2598), reason: 'insufficient_funds' },
  'payment.refunded': { orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m8', amount: usd(1000), refundedTotal: usd(2598) },
};

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
