import { Conflict, Unprocessable } from '../../../shared/errors.ts';

/** Business failures the order saga catches by name (Step Functions matches on the error's `name`). */
export class InsufficientStock extends Unprocessable {
  constructor(lines: Array<{ productId: string; requested: number }>) {
    super('INSUFFICIENT_STOCK', 'Not enough stock for every line of the order', lines);
  }
}
/** The reservation was released (or its release arrived first): it cannot be reserved or committed again. */
export class ReservationClosed extends Conflict {}
/** The hold outlived its expiry before it was committed; its units went back to the shelf. */
export class ReservationExpired extends Unprocessable {
  constructor(orderId: string) {
    super('RESERVATION_EXPIRED', `The reservation for order ${orderId} expired`, { orderId });
  }
}
