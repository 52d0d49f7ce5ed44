import { html, nothing } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import { act, confirmed, workflowLink } from './admin-view';
import type { OrdersClient } from './api';
import { errorBox, idle, load, type ScreenContext, spinner } from './context';

// The Operations screen's webhook subscriptions: state, recent deliveries, enable/disable
// and replay (each asks once more: a replay re-sends every event from its position on).

type Client = OrdersClient;
type Listed = Awaited<ReturnType<Client['subscriptions']['list']['query']>>;
type Deliveries = Awaited<ReturnType<Client['subscriptions']['deliveries']['query']>>;

const RECENT = 10;

const state = {
  list: idle<Listed>(),
  /** The subscription whose recent deliveries are shown. */
  open: null as string | null,
  deliveries: idle<Deliveries>(),
  replayFrom: new Map<string, number>(),
};

export function refreshSubscriptions(ctx: ScreenContext): void {
  void load(ctx, state.list, () => ctx.client.subscriptions.list.query());
  const open = state.open;
  if (open) {
    void load(ctx, state.deliveries, () =>
      ctx.client.subscriptions.deliveries.query({ id: open, limit: RECENT }),
    );
  }
}

function deliveriesTable() {
  const d = state.deliveries;
  if (!d.data) return html`${spinner(d.loading)}${errorBox(d.error)}`;
  if (d.data.deliveries.length === 0) return html`<p class="hint">No delivery yet.</p>`;
  return html`<table class="deliveries"><thead><tr><th>When</th><th>Event</th><th class="num">Position</th>
    <th class="num">Attempt</th><th>Outcome</th><th class="num">Status</th><th class="num">ms</th><th>Error</th></tr></thead>
    <tbody>${d.data.deliveries.map(
      (x) => html`<tr data-outcome=${x.outcome} class=${x.outcome === 'delivered' ? '' : 'warn'}>
        <td>${new Date(x.attemptedAt).toLocaleString()}</td><td>${x.eventType}</td>
        <td class="num">${x.position}</td><td class="num">${x.attempt}</td><td>${x.outcome}</td>
        <td class="num">${x.statusCode ?? ''}</td><td class="num">${x.durationMs}</td><td class="failure">${x.error ?? ''}</td></tr>`,
    )}</tbody></table>`;
}

export function subscriptionsPanel(ctx: ScreenContext) {
  const l = state.list;
  if (!l.data) return html`${spinner(l.loading)}${errorBox(l.error)}`;
  if (l.data.subscriptions.length === 0) {
    return html`${errorBox(l.error)}<p id="subscriptions-empty">No subscriptions (subscriptions.create adds one).</p>`;
  }
  return html`${errorBox(l.error)}<div class="table-wrap"><table id="subscriptions">
    <thead><tr><th>URL</th><th>Events</th><th>State</th><th class="num">Checkpoint</th><th>Last delivery</th>
      <th>Last error</th><th>Actions</th></tr></thead>
    <tbody>${repeat(
      l.data.subscriptions,
      (s) => s.id,
      (s) => {
        const toggle = s.enabled ? 'Disable' : 'Enable';
        const from = state.replayFrom.get(s.id);
        return html`<tr data-subscription=${s.id} data-state=${s.state} class=${s.state === 'active' ? '' : 'warn'}>
        <td>${s.url}${s.description ? html`<br /><span class="hint">${s.description}</span>` : nothing}</td>
        <td>${s.eventTypes?.join(', ') ?? 'all'}</td>
        <td data-col="state">${s.state}${s.disabledReason ? html`<br /><span class="hint">${s.disabledReason}</span>` : nothing}</td>
        <td class="num">${s.checkpoint.position}</td>
        <td>${s.lastDeliveryAt ? new Date(s.lastDeliveryAt).toLocaleString() : 'never'}</td>
        <td class="failure">${s.lastError ?? ''}</td>
        <td class="actions">
          ${confirmed(ctx, `${toggle.toLowerCase()}:${s.id}`, toggle, () =>
            act(ctx, toggle, async () => {
              await ctx.client.subscriptions.update.mutate({ id: s.id, enabled: !s.enabled });
              return `${s.url} ${s.enabled ? 'disabled' : 'enabled'}.`;
            }),
          )}
          <label>from position <input type="number" min="1" class="replay-from" .value=${from ? String(from) : ''}
            @input=${(e: Event) => {
              const n = Number((e.target as HTMLInputElement).value);
              if (n >= 1) state.replayFrom.set(s.id, n);
              else state.replayFrom.delete(s.id);
            }} /></label>
          ${
            from
              ? confirmed(ctx, `replay:${s.id}`, 'Replay', () =>
                  act(ctx, 'Replay', async () => {
                    await ctx.client.subscriptions.replay.mutate({ id: s.id, fromPosition: from });
                    return `Replaying ${s.url} from position ${from}.`;
                  }),
                )
              : nothing
          }
          <button type="button" data-action=${`deliveries:${s.id}`} @click=${() => {
            state.open = state.open === s.id ? null : s.id;
            state.deliveries = idle();
            refreshSubscriptions(ctx);
          }}>${state.open === s.id ? 'Hide deliveries' : 'Deliveries'}</button>
          ${workflowLink(s.workflowId, 'Temporal')}</td></tr>
        ${state.open === s.id ? html`<tr class="detail"><td colspan="7">${deliveriesTable()}</td></tr>` : nothing}`;
      },
    )}</tbody></table></div>`;
}
