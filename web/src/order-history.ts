import { html, nothing } from 'lit-html';
import { errorBox, idle, load, type ScreenContext, spinner } from './context';

// An order's events as the event store holds them (orders.history): what happened, when,
// by which command and whom — opened from a report's drill-down.

interface HistoryEvent {
  version: number;
  type: string;
  occurredAt: string;
  data?: unknown;
  metadata: { commandId: string; actor: string };
}

const state = {
  orderId: null as string | null,
  history: idle<{ events: HistoryEvent[]; more: boolean }>(),
};

export async function showOrderHistory(ctx: ScreenContext, orderId: string): Promise<void> {
  state.orderId = orderId;
  await load(ctx, state.history, async () => {
    const page = await ctx.client.orders.history.query({ orderId, pageSize: 200 });
    return { events: page.events, more: page.nextAfterVersion !== null };
  });
}

/** The order whose history is open, if any. */
export const shownOrderHistory = (): string | null => state.orderId;

export function closeOrderHistory(): void {
  state.orderId = null;
  state.history = idle();
}

/** What an event says beyond its type, in one line (its data without the order id). */
function details(data: unknown): string {
  const { orderId: _orderId, ...rest } = (data ?? {}) as Record<string, unknown>;
  return JSON.stringify(rest);
}

export function orderHistoryPanel() {
  const { orderId, history } = state;
  if (!orderId) return nothing;
  return html`<section id="order-history" aria-live="polite">
    <h3>History of ${orderId}</h3>
    ${spinner(history.loading)} ${errorBox(history.error)}
    ${
      history.data
        ? html`<div class="table-wrap"><table>
          <thead><tr><th class="num">Version</th><th>Event</th><th>When</th><th>Command</th><th>By</th><th>Details</th></tr></thead>
          <tbody>${history.data.events.map(
            (
              e,
            ) => html`<tr data-version=${e.version}><td class="num">${e.version}</td><td data-type>${e.type}</td>
              <td><time datetime=${e.occurredAt}>${new Date(e.occurredAt).toLocaleString()}</time></td>
              <td><code>${e.metadata.commandId}</code></td><td>${e.metadata.actor}</td>
              <td><code>${details(e.data)}</code></td></tr>`,
          )}</tbody></table></div>
          ${history.data.more ? html`<p>Showing the first 200 events.</p>` : nothing}`
        : nothing
    }
  </section>`;
}
