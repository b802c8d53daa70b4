import type * as z from 'zod';
import type { OrderCancelled, OrderConfirmed, OrderCreated } from '../../../shared/events/orders.ts';
import type { PaymentCompleted, PaymentFailed, PaymentRefunded } from '../../../shared/events/payments.ts';
import type { UserPasswordChanged, UserRegistered } from '../../../shared/events/users.ts';
import { formatMoney, html, type SafeHtml } from './format.ts';
import { fitSms } from './gsm7.ts';

/** Event data as the templates read it: the registered schemas' types (the consumer validates against them first). */
export interface TemplateData {
  'user.registered': UserRegistered;
  'user.password.changed': UserPasswordChanged;
  'order.created': OrderCreated;
  'order.confirmed': OrderConfirmed;
  'order.cancelled': OrderCancelled;
  'payment.completed': z.infer<typeof PaymentCompleted>;
  'payment.failed': z.infer<typeof PaymentFailed>;
  'payment.refunded': z.infer<typeof PaymentRefunded>;
}
export type NotifyingEvent = keyof TemplateData;
export const notifyingEvents = [
  'user.registered',
  'user.password.changed',
  'order.created',
  'order.confirmed',
  'order.cancelled',
  'payment.completed',
  'payment.failed',
  'payment.refunded',
] as const satisfies readonly NotifyingEvent[];

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}
export interface Rendered {
  email: RenderedEmail;
  /** Only events worth a text message have one (security, the order's outcome, money moving back). */
  sms: string | null;
}

interface Template<T> {
  subject(data: T): string;
  /** Paragraphs of the email: plain strings (escaped in HTML) or HTML built with `html`. */
  body(data: T, name: string): Array<string | { text: string; html: SafeHtml }>;
  sms?(data: T, name: string): string;
}

const CANCEL_REASONS: Record<string, string> = {
  INSUFFICIENT_STOCK: 'some items are no longer in stock',
  PAYMENT_DECLINED: 'the payment was declined',
  INSUFFICIENT_FUNDS: 'the card had insufficient funds',
  PAYMENT_FAILED: 'the payment could not be processed',
  CONFIRMATION_FAILED: 'we could not confirm it',
  CUSTOMER_CANCELLED: 'you cancelled it',
  SAGA_FAILED: 'something went wrong on our side',
};
const PAYMENT_FAILURES: Record<string, string> = {
  card_declined: 'the card was declined',
  generic_decline: 'the card was declined',
  invalid_payment_method: 'the payment method is not valid',
  insufficient_funds: 'the card had insufficient funds',
  expired_card: 'the card has expired',
  incorrect_cvc: 'the security code was wrong',
  processing_error: 'the payment processor had an error',
};
const cancelReason = (code: string) => CANCEL_REASONS[code] ?? 'it could not be completed';
const paymentFailure = (code: string) => PAYMENT_FAILURES[code] ?? 'the payment did not go through';

const templates: { [K in NotifyingEvent]: Template<TemplateData[K]> } = {
  'user.registered': {
    subject: () => 'Welcome to Shop',
    body: (d) => ['Your account is ready. Sign in with this address to start shopping.', `Registered email: ${d.email}`],
  },
  'user.password.changed': {
    subject: () => 'Your Shop password was changed',
    body: (d) => [
      `Your password was changed at ${d.changedAt} and every session was signed out.`,
      'If this was not you, reset your password now and contact support.',
    ],
    sms: (_d, name) => `Shop: ${name}, your password was just changed and all sessions were signed out. Not you? Reset it now.`,
  },
  'order.created': {
    subject: (d) => `We received your order ${d.orderId}`,
    body: (d) => [
      `Thank you for your order ${d.orderId}. We are reserving your items and taking payment.`,
      {
        text: d.lines.map((l) => `${l.quantity} x ${l.name} at ${formatMoney(l.unitPrice)}`).join('\n'),
        html: html`<ul>${d.lines.map((l) => html`<li>${l.quantity} × ${l.name} at ${formatMoney(l.unitPrice)}</li>`)}</ul>`,
      },
      `Total: ${formatMoney(d.total)}`,
    ],
  },
  'order.confirmed': {
    subject: (d) => `Your order ${d.orderId} is confirmed`,
    body: (d) => [`Your order ${d.orderId} is confirmed. Total charged: ${formatMoney(d.total)}.`],
    sms: (d, name) => `Shop: ${name}, your order ${d.orderId} is confirmed. Total ${formatMoney(d.total)}.`,
  },
  'order.cancelled': {
    subject: (d) => `Your order ${d.orderId} was cancelled`,
    body: (d) => [
      `Your order ${d.orderId} was cancelled because ${cancelReason(d.reason)}.`,
      // The amount comes with its own payment.refunded notice.
      d.refunded ? 'What you paid is being refunded to your card.' : 'You have not been charged.',
    ],
    sms: (d, name) => `Shop: ${name}, your order ${d.orderId} was cancelled because ${cancelReason(d.reason)}.`,
  },
  'payment.completed': {
    subject: (d) => `Payment received for order ${d.orderId}`,
    body: (d) => [`We charged ${formatMoney(d.amount)} to your ${d.brand} card ending in ${d.last4} for order ${d.orderId}.`],
  },
  'payment.failed': {
    subject: (d) => `Payment failed for order ${d.orderId}`,
    body: (d) => [
      `We could not charge ${formatMoney(d.amount)} for order ${d.orderId}: ${paymentFailure(d.reason)}.`,
      'Nothing was charged. You can place the order again with another card.',
    ],
    sms: (d, name) =>
      `Shop: ${name}, payment of ${formatMoney(d.amount)} for order ${d.orderId} failed: ${paymentFailure(d.reason)}.`,
  },
  'payment.refunded': {
    subject: (d) => `Refund for order ${d.orderId}`,
    body: (d) => [
      `We refunded ${formatMoney(d.amount)} for order ${d.orderId} (${formatMoney(d.refundedTotal)} refunded in total).`,
      'It can take a few days to appear on your statement.',
    ],
    sms: (d, name) => `Shop: ${name}, we refunded ${formatMoney(d.amount)} for order ${d.orderId}.`,
  },
};

export function isNotifyingEvent(type: string): type is NotifyingEvent {
  return Object.hasOwn(templates, type);
}

/** Email (subject, text, HTML with every user-supplied value escaped) and, for some events, one SMS. */
export function render<K extends NotifyingEvent>(type: K, data: TemplateData[K], name: string): Rendered {
  const template = templates[type] as Template<TemplateData[K]>;
  const subject = template.subject(data);
  const paragraphs = template.body(data, name);
  const text = [`Hello ${name},`, ...paragraphs.map((p) => (typeof p === 'string' ? p : p.text)), '— Shop'].join('\n\n');
  const body = html`<!doctype html>
<html><head><meta charset="utf-8"><title>${subject}</title></head>
<body style="font-family:sans-serif;line-height:1.5">
<p>Hello ${name},</p>
${paragraphs.map((p) => (typeof p === 'string' ? html`<p>${p}</p>\n` : html`${p.html}\n`))}<p>— Shop</p>
</body></html>`;
  return { email: { subject, text, html: body.value }, sms: template.sms ? fitSms(template.sms(data, name)).text : null };
}
