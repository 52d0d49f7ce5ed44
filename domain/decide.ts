import type { OrderCommand, PlaceOrder } from './commands';
import type { DomainError, InputIssue } from './errors';
import type { OrderEvent } from './events';
import { lineTotal, type Order, type OrderState, type OrderStatus } from './order';
import { CURRENCY_PATTERN, ID_PATTERN, isStorableText, LIMITS } from './rules';

export type Decision = { ok: true; events: OrderEvent[] } | { ok: false; error: DomainError };

const ISO_UTC = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** The allowed command for each status; anything else is an invalid transition. */
const ALLOWED: Record<OrderStatus, ReadonlyArray<OrderCommand['type']>> = {
  placed: ['CompleteOrder', 'CancelOrder'],
  completed: ['RefundOrder'],
  cancelled: [],
  refunded: [],
};

/** Decides which events a command produces against the current state. Pure. */
export function decide(command: OrderCommand, state: OrderState): Decision {
  const issues = validate(command);
  if (issues.length > 0) return invalid(issues);

  if (command.type === 'PlaceOrder') {
    if (state.status !== 'none') {
      return refuse({
        code: 'OrderAlreadyExists',
        orderId: command.orderId,
        message: `order ${command.orderId} already exists`,
      });
    }
    return { ok: true, events: [placed(command)] };
  }

  if (state.status === 'none') {
    return refuse({
      code: 'OrderNotFound',
      orderId: command.orderId,
      message: `order ${command.orderId} does not exist`,
    });
  }
  if (!ALLOWED[state.status].includes(command.type)) {
    return refuse({
      code: 'InvalidTransition',
      orderId: state.orderId,
      status: state.status,
      command: command.type,
      message: `cannot ${verb(command.type)} order ${state.orderId}: it is ${state.status}`,
    });
  }
  const last = lastEventAt(state);
  // As instants: `at` may be spelled with 0-3 fraction digits, so strings do not order.
  const before = Date.parse(command.at) < Date.parse(last);
  if (before && !command.atFromServer) {
    return invalid([
      { path: 'at', message: `must not be earlier than the order's last change (${last})` },
    ]);
  }
  // The server's clock never holds an order back: the later of it and the last change.
  const at = before ? last : command.at;

  switch (command.type) {
    case 'CompleteOrder':
      return ok({
        type: 'OrderCompleted',
        data: { orderId: state.orderId, completedAt: at },
      });
    case 'CancelOrder':
      return ok({
        type: 'OrderCancelled',
        data: { orderId: state.orderId, reason: command.reason, cancelledAt: at },
      });
    case 'RefundOrder':
      return ok({
        type: 'OrderRefunded',
        data: {
          orderId: state.orderId,
          reason: command.reason,
          amountMinor: state.totalMinor,
          refundedAt: at,
        },
      });
  }
}

function placed(command: PlaceOrder): OrderEvent {
  const items = command.items.map((i) => ({
    productId: i.productId,
    quantity: i.quantity,
    unitPriceMinor: i.unitPriceMinor,
    lineTotalMinor: lineTotal(i.quantity, i.unitPriceMinor),
  }));
  return {
    type: 'OrderPlaced',
    data: {
      orderId: command.orderId,
      customerId: command.customerId,
      region: command.region,
      currency: command.currency,
      items,
      totalQuantity: items.reduce((sum, i) => sum + i.quantity, 0),
      totalMinor: items.reduce((sum, i) => sum + i.lineTotalMinor, 0),
      placedAt: command.at,
    },
  };
}

/** Checks the rules of the command's own data, whatever the state. */
export function validate(command: OrderCommand): InputIssue[] {
  const issues: InputIssue[] = [];
  const check = (cond: boolean, path: string, message: string) => {
    if (!cond) issues.push({ path, message });
  };
  check(ID_PATTERN.test(command.orderId), 'orderId', 'must be 1-64 characters of A-Z a-z 0-9 _ -');
  check(
    ISO_UTC.test(command.at) && !Number.isNaN(Date.parse(command.at)),
    'at',
    'must be a UTC ISO-8601 timestamp',
  );
  if (command.type === 'CancelOrder' || command.type === 'RefundOrder') {
    check(
      command.reason.length >= 1 && command.reason.length <= LIMITS.maxReasonLength,
      'reason',
      `must be 1-${LIMITS.maxReasonLength} characters`,
    );
    check(
      isStorableText(command.reason),
      'reason',
      'must be well-formed text without NUL characters',
    );
  }
  if (command.type !== 'PlaceOrder') return issues;

  check(
    ID_PATTERN.test(command.customerId),
    'customerId',
    'must be 1-64 characters of A-Z a-z 0-9 _ -',
  );
  check(ID_PATTERN.test(command.region), 'region', 'must be 1-64 characters of A-Z a-z 0-9 _ -');
  check(
    CURRENCY_PATTERN.test(command.currency),
    'currency',
    'must be three upper-case letters (ISO 4217)',
  );
  check(
    command.items.length >= LIMITS.minItems && command.items.length <= LIMITS.maxItems,
    'items',
    `must have ${LIMITS.minItems}-${LIMITS.maxItems} items`,
  );
  command.items.forEach((item, i) => {
    check(
      ID_PATTERN.test(item.productId),
      `items.${i}.productId`,
      'must be 1-64 characters of A-Z a-z 0-9 _ -',
    );
    check(
      isIntIn(item.quantity, LIMITS.minQuantity, LIMITS.maxQuantity),
      `items.${i}.quantity`,
      `must be an integer ${LIMITS.minQuantity}-${LIMITS.maxQuantity}`,
    );
    check(
      isIntIn(item.unitPriceMinor, LIMITS.minUnitPriceMinor, LIMITS.maxUnitPriceMinor),
      `items.${i}.unitPriceMinor`,
      `must be an integer ${LIMITS.minUnitPriceMinor}-${LIMITS.maxUnitPriceMinor} (minor units)`,
    );
  });
  return issues;
}

function isIntIn(n: number, min: number, max: number): boolean {
  return Number.isSafeInteger(n) && n >= min && n <= max;
}

function lastEventAt(order: Order): string {
  return order.refundedAt ?? order.cancelledAt ?? order.completedAt ?? order.placedAt;
}

function verb(type: OrderCommand['type']): string {
  return type.replace('Order', '').toLowerCase();
}

function ok(event: OrderEvent): Decision {
  return { ok: true, events: [event] };
}

function refuse(error: DomainError): Decision {
  return { ok: false, error };
}

function invalid(issues: InputIssue[]): Decision {
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return {
    ok: false,
    error: { code: 'InvalidCommand', message: `invalid command: ${summary}`, issues },
  };
}
