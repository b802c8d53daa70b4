import { Conflict, Unprocessable } from '../../../shared/errors.ts';
import type { OrderStatus } from './order.ts';

/**
 * A transition the order's state does not allow. The one refusal of every path: HTTP answers 409, a saga task fails
 * with this name (which the state machine does not retry), the reconciler logs and skips.
 */
export class IllegalTransition extends Conflict {
  constructor(orderId: string, from: OrderStatus, command: string) {
    super(`Order ${orderId} is ${from}: ${command} is not allowed`, { orderId, status: from, command });
  }
}

/** A cancel won the race: the saga must not confirm and compensates instead (matched by name in the state machine). */
export class OrderCancelled extends Conflict {
  constructor(orderId: string) {
    super(`Order ${orderId} was cancelled`, { orderId });
  }
}

/** A line the order cannot be placed with (unknown, withdrawn, too many units, another currency); names the line. */
export class LineRefused extends Unprocessable {}
