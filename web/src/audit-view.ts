import { html, nothing } from 'lit-html';
import type { OrdersClient } from './api';
import { errorBox, idle, load, type ScreenContext, spinner } from './context';

// The Operations screen's audit trail: who did which admin action, newest first, filtered
// by actor or action, a page at a time.

type Listed = Awaited<ReturnType<OrdersClient['audit']['list']['query']>>;

const PAGE = 20;

const state = {
  list: idle<Listed>(),
  actor: '',
  action: '',
  /** The cursors of the pages before this one (empty: the newest page). */
  before: [] as number[],
  cursor: undefined as number | undefined,
};

function query() {
  return {
    limit: PAGE,
    ...(state.actor ? { actor: state.actor } : {}),
    ...(state.action ? { action: state.action } : {}),
    ...(state.cursor ? { cursor: state.cursor } : {}),
  };
}

/** Reloads the page shown; the screen's timer calls it only on the newest page. */
export function refreshAudit(ctx: ScreenContext, timed = false): void {
  if (timed && state.cursor) return;
  void load(ctx, state.list, () => ctx.client.audit.list.query(query()));
}

function page(ctx: ScreenContext, cursor: number | undefined, before: number[]): void {
  state.cursor = cursor;
  state.before = before;
  state.list = idle();
  refreshAudit(ctx);
}

function filters(ctx: ScreenContext) {
  const apply = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    state.actor = String(form.get('actor') ?? '').trim();
    state.action = String(form.get('action') ?? '').trim();
    page(ctx, undefined, []);
  };
  return html`<form id="audit-filter" class="query" @submit=${apply}>
    <label>Who <input name="actor" .value=${state.actor} placeholder="key:… or admin:…" /></label>
    <label>Action <input name="action" .value=${state.action} placeholder="admin.parked.retry" /></label>
    <button type="submit">Filter</button></form>`;
}

export function auditPanel(ctx: ScreenContext) {
  const l = state.list;
  const body = !l.data
    ? html`${spinner(l.loading)}${errorBox(l.error)}`
    : l.data.entries.length === 0
      ? html`<p id="audit-empty">No admin action recorded${state.actor || state.action ? ' for this filter' : ''}.</p>`
      : html`${errorBox(l.error)}<div class="table-wrap"><table id="audit">
    <thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Outcome</th><th>Message</th></tr></thead>
    <tbody>${l.data.entries.map(
      (e) => html`<tr data-audit=${e.id} data-action=${e.action} data-outcome=${e.outcome}
        class=${e.outcome === 'ok' ? '' : 'warn'}>
        <td>${new Date(e.at).toLocaleString()}</td><td data-col="actor">${e.actor}</td><td>${e.action}</td>
        <td>${e.target ?? ''}</td><td data-col="outcome">${e.outcome}</td><td class="failure">${e.message ?? ''}</td></tr>`,
    )}</tbody></table></div>`;
  const next = l.data?.nextCursor;
  return html`${filters(ctx)}${body}<p>
    ${
      state.cursor
        ? html`<button type="button" id="audit-newer" @click=${() => page(ctx, state.before.at(-1), state.before.slice(0, -1))}>Newer</button>`
        : nothing
    }
    ${
      next
        ? html`<button type="button" id="audit-older" @click=${() => page(ctx, next, state.cursor ? [...state.before, state.cursor] : state.before)}>Older</button>`
        : nothing
    }</p>`;
}
