import * as z from 'zod';

/** Money is integer minor units (cents) with an ISO-4217 currency code. */
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'ISO-4217 code, e.g. USD');
export const Money = z.object({
  amount: z.number().int().nonnegative().max(1_000_000_000_00),
  currency: Currency,
});
export type Money = z.infer<typeof Money>;

export function money(amount: number, currency: string): Money {
  return Money.parse({ amount, currency });
}
