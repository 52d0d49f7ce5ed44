import { html, nothing, type TemplateResult } from 'lit-html';
import { describeError, type OrdersClient, type ShownError } from './api';

export type Role = 'reader' | 'writer' | 'admin';

/** What every screen gets: the signed-in client and a way to redraw. */
export interface ScreenContext {
  client: OrdersClient;
  role: Role;
  /** Redraws the whole app from the current state. */
  update(): void;
  /** A 401 from any call: the token is no longer good; back to sign-in. */
  signedOut(error: ShownError): void;
}

/** A call's state as a screen holds it. */
export interface Loadable<T> {
  loading: boolean;
  error: ShownError | null;
  data: T | null;
}

export const idle = <T>(): Loadable<T> => ({ loading: false, error: null, data: null });

/** Runs a call into a Loadable, redrawing before and after. */
export async function load<T>(
  ctx: ScreenContext,
  target: Loadable<T>,
  call: () => Promise<T>,
): Promise<void> {
  target.loading = true;
  target.error = null;
  ctx.update();
  try {
    target.data = await call();
  } catch (err) {
    // A failed call clears what it was to replace: an answer left under the error would
    // read as the answer to this question.
    target.data = null;
    target.error = describeError(err);
    if (target.error.status === 401) ctx.signedOut(target.error);
  } finally {
    target.loading = false;
    ctx.update();
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

export function currentMonth(): string {
  return new Date().toISOString().slice(0, 7);
}
