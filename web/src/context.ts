import { html, nothing, type TemplateResult } from 'lit-html';
import type { OrdersClient } from '../../api/client';
import { addMonths } from '../../domain/report-months';
import { describeError, type ShownError } from './errors';
import { localMonth, type Route } from './url-state';

export type Role = 'reader' | 'writer' | 'admin';

/** What every screen gets: the signed-in client and a way to redraw. */
export interface ScreenContext {
  client: OrdersClient;
  role: Role;
  /** Redraws the whole app from the current state. */
  update(): void;
  /** A 401 from any call: the token is no longer good; back to sign-in. */
  signedOut(error: ShownError): void;
  /**
   * Shows a route by putting it in the address: `push` is a step back/forward returns to,
   * `replace` changes how the same step looks (a sort). The same route again asks again.
   */
  navigate(route: Route, how?: 'push' | 'replace'): void;
}

/** A call's state as a screen holds it. */
export interface Loadable<T> {
  loading: boolean;
  error: ShownError | null;
  data: T | null;
}

export const idle = <T>(): Loadable<T> => ({ loading: false, error: null, data: null });

const latestCall = new WeakMap<Loadable<unknown>, number>();

/**
 * Runs a call into a Loadable, redrawing before and after. Only the latest call into a
 * Loadable lands: back, forward and a new link start calls while earlier ones are still
 * out, and an older answer arriving last must not replace the one asked for now.
 */
export async function load<T>(
  ctx: ScreenContext,
  target: Loadable<T>,
  call: () => Promise<T>,
): Promise<void> {
  const ticket = (latestCall.get(target) ?? 0) + 1;
  latestCall.set(target, ticket);
  const current = () => latestCall.get(target) === ticket;
  target.loading = true;
  target.error = null;
  ctx.update();
  try {
    const data = await call();
    if (current()) target.data = data;
  } catch (err) {
    if (!current()) return;
    // A failed call clears what it was to replace: an answer left under the error would
    // read as the answer to this question.
    target.data = null;
    target.error = describeError(err);
    if (target.error.status === 401) ctx.signedOut(target.error);
  } finally {
    if (current()) {
      target.loading = false;
      ctx.update();
    }
  }
}

export function errorBox(error: ShownError | null): TemplateResult | typeof nothing {
  if (!error) return nothing;
  return html`<div class="error" role="alert" data-status=${error.status ?? ''}>
    <strong>${error.title}</strong> ${error.message}
  </div>`;
}

export function spinner(loading: boolean): TemplateResult | typeof nothing {
  return loading ? html`<span class="loading" role="status">Loading…</span>` : nothing;
}

export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 2, 1));
  return d.toISOString().slice(0, 7);
}

let monthsAhead = 0;

/**
 * The current month: the browser's, or the one before once the API said that month has not
 * begun (its report time zone is behind the browser's clock).
 */
export function currentMonth(): string {
  return addMonths(localMonth(new Date()), -monthsAhead);
}

/** The API refused the browser's current month as not begun: step back to the API's. */
export function currentMonthNotBegun(): void {
  monthsAhead = 1;
}
