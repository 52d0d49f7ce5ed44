import { html, nothing } from 'lit-html';
import { repeat } from 'lit-html/directives/repeat.js';
import type { OrdersClient } from './api';
import { auditPanel, refreshAudit } from './audit-view';
import { errorBox, idle, load, type ScreenContext, spinner } from './context';
import { describeError } from './errors';
import { refreshSubscriptions, subscriptionsPanel } from './subscriptions-view';

type Client = OrdersClient;
type Status = Awaited<ReturnType<Client['admin']['projections']['status']['query']>>;
type Parked = Awaited<ReturnType<Client['admin']['parked']['list']['query']>>;
type Links = Awaited<ReturnType<Client['admin']['temporalUi']['query']>>;
type Reconciled = Awaited<ReturnType<Client['admin']['reconcile']['mutate']>>;
type Rebuild = Awaited<ReturnType<Client['admin']['projections']['rebuildProgress']['query']>>;
type ReadModel = 'elasticsearch' | 'redis';

const REFRESH_MS = 5_000;

const state = {
  status: idle<Status>(),
  parked: idle<Parked>(),
  links: idle<Links>(),
  reconcile: idle<Reconciled>(),
  rebuild: idle<Rebuild>(),
  reconcileMonth: new Date().toISOString().slice(0, 7),
  rebuildModel: 'elasticsearch' as ReadModel,
  /** The action awaiting its confirmation: `retry:<workflowId>`, `skip:…`, `rebuild`. */
  confirming: null as string | null,
  notice: null as string | null,
  timer: null as ReturnType<typeof setInterval> | null,
};

function refresh(ctx: ScreenContext): void {
  void load(ctx, state.status, () => ctx.client.admin.projections.status.query());
  void load(ctx, state.parked, () => ctx.client.admin.parked.list.query());
  refreshSubscriptions(ctx);
  refreshAudit(ctx, true);
  if (state.rebuild.data?.status === 'RUNNING') {
    void load(ctx, state.rebuild, () =>
      ctx.client.admin.projections.rebuildProgress.query({ readModel: state.rebuildModel }),
    );
  }
}

/** Starts polling when the screen opens; stopped by leaveAdmin. */
export function enterAdmin(ctx: ScreenContext): void {
  if (state.timer) return;
  state.timer = setInterval(() => refresh(ctx), REFRESH_MS);
  if (!state.links.data) void load(ctx, state.links, () => ctx.client.admin.temporalUi.query());
  refresh(ctx);
}

export function leaveAdmin(): void {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

export function workflowLink(workflowId: string, label: string = workflowId) {
  const links = state.links.data;
  if (!links) return html`${label}`;
  const href = `${links.url}/namespaces/${encodeURIComponent(links.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return html`<a href=${href} target="_blank" rel="noopener" class="temporal-link">${label}</a>`;
}

export async function act(
  ctx: ScreenContext,
  what: string,
  call: () => Promise<string>,
): Promise<void> {
  state.confirming = null;
  try {
    state.notice = await call();
  } catch (err) {
    const e = describeError(err);
    state.notice = `${what} failed: ${e.title} ${e.message}`;
    if (e.status === 401) ctx.signedOut(e);
  }
  refresh(ctx);
}

/** A button that asks once more before it acts (retry, skip and rebuild change things). */
export function confirmed(
  ctx: ScreenContext,
  key: string,
  label: string,
  run: () => Promise<void>,
) {
  if (state.confirming !== key) {
    return html`<button type="button" data-action=${key} @click=${() => {
      state.confirming = key;
      ctx.update();
    }}>${label}</button>`;
  }
  return html`<span class="confirm" role="group" aria-label="Confirm ${label}">
    <button type="button" class="danger" data-confirm=${key} @click=${() => void run()}>Confirm ${label.toLowerCase()}</button>
    <button type="button" @click=${() => {
      state.confirming = null;
      ctx.update();
    }}>Cancel</button></span>`;
}

function statusTable() {
  const s = state.status;
  if (!s.data) return html`${spinner(s.loading)}${errorBox(s.error)}`;
  const links = state.links.data;
  return html`${errorBox(s.error)}<div class="table-wrap"><table id="projection-status">
    <thead><tr><th>Read model</th><th class="num">Checkpoint</th><th>Last moved</th><th class="num">Lag (events)</th>
      <th class="num">Lag (s)</th><th class="num">Retrying</th><th class="num">Parked</th><th>Projector</th></tr></thead>
    <tbody>${s.data.readModels.map((r) => {
      const projector = links?.workflows.projectors.find((p) => p.readModel === r.readModel);
      return html`<tr data-read-model=${r.readModel} class=${r.failed > 0 || r.retrying > 0 ? 'warn' : ''}>
        <td>${r.readModel}</td><td class="num">${r.checkpoint.position}</td>
        <td>${r.checkpointAt ? new Date(r.checkpointAt).toLocaleString() : 'never'}</td>
        <td class="num">${r.lagEvents}</td><td class="num">${r.lagSeconds}</td>
        <td class="num" data-col="retrying">${r.retrying}</td><td class="num" data-col="failed">${r.failed}</td>
        <td>${projector ? workflowLink(projector.workflowId, 'open in Temporal') : ''}</td></tr>`;
    })}</tbody></table></div>`;
}

function parkedList(ctx: ScreenContext) {
  const p = state.parked;
  if (!p.data) return html`${spinner(p.loading)}${errorBox(p.error)}`;
  if (p.data.parked.length === 0)
    return html`${errorBox(p.error)}<p id="parked-empty">No parked projections.</p>`;
  return html`${errorBox(p.error)}<div class="table-wrap"><table id="parked">
    <thead><tr><th>Read model</th><th>Order</th><th>Failure</th><th>Parked at</th><th>Actions</th></tr></thead>
    <tbody>${repeat(
      p.data.parked,
      // Keyed by workflow: when a row above goes, the row an operator is about to retry or
      // skip keeps its own buttons, never another order's.
      (w) => w.workflowId,
      (w) => {
        const target =
          w.readModel && w.orderId ? { readModel: w.readModel, orderId: w.orderId } : null;
        return html`<tr data-workflow=${w.workflowId} data-order=${w.orderId ?? ''}>
        <td>${w.readModel ?? '?'}</td><td>${w.orderId ?? '?'}</td>
        <td class="failure">${w.lastError ?? '(no worker answered: open it in Temporal)'}</td>
        <td>${new Date(w.parkedAt).toLocaleString()}</td>
        <td class="actions">${
          target
            ? html`${confirmed(ctx, `retry:${w.workflowId}`, 'Retry', () =>
                act(ctx, 'Retry', async () => {
                  await ctx.client.admin.parked.retry.mutate(target);
                  return `Retry sent for ${target.orderId}.`;
                }),
              )}
              ${confirmed(ctx, `skip:${w.workflowId}`, 'Skip', () =>
                act(ctx, 'Skip', async () => {
                  await ctx.client.admin.parked.skip.mutate(target);
                  return `Skipped ${target.orderId}: rebuild the read model to bring it back in line.`;
                }),
              )}`
            : nothing
        } ${workflowLink(w.workflowId, 'Temporal')}</td></tr>`;
      },
    )}</tbody></table></div>`;
}

function rebuildPanel(ctx: ScreenContext) {
  const r = state.rebuild;
  const progress = r.data?.progress;
  const start = () =>
    act(ctx, 'Rebuild', async () => {
      const started = await ctx.client.admin.projections.rebuild.mutate({
        readModel: state.rebuildModel,
      });
      state.rebuild.data = {
        workflowId: started.workflowId,
        status: 'RUNNING',
        progress: started.progress,
      };
      return started.alreadyRunning
        ? `A rebuild of ${state.rebuildModel} was already running.`
        : `Rebuild of ${state.rebuildModel} started.`;
    });
  return html`<div class="query">
      <label>Read model <select id="rebuild-model" @change=${(e: Event) => {
        state.rebuildModel = (e.target as HTMLSelectElement).value as ReadModel;
        state.rebuild = idle();
        ctx.update();
      }}>
        <option value="elasticsearch" ?selected=${state.rebuildModel === 'elasticsearch'}>elasticsearch</option>
        <option value="redis" ?selected=${state.rebuildModel === 'redis'}>redis</option></select></label>
      ${confirmed(ctx, 'rebuild', 'Rebuild', start)}
      <button type="button" @click=${() =>
        load(ctx, state.rebuild, () =>
          ctx.client.admin.projections.rebuildProgress.query({ readModel: state.rebuildModel }),
        )}>Show progress</button>
    </div>
    ${errorBox(r.error)}
    ${
      r.data
        ? html`<p id="rebuild-progress">${workflowLink(r.data.workflowId)}: ${r.data.status}${
            progress
              ? html`, phase <strong>${progress.phase}</strong>, ${progress.eventsRead} events read,
                ${progress.ordersWritten} orders written`
              : nothing
          }</p>`
        : nothing
    }`;
}

function reconcilePanel(ctx: ScreenContext) {
  const r = state.reconcile;
  const submit = (e: Event) => {
    e.preventDefault();
    void load(ctx, state.reconcile, () =>
      ctx.client.admin.reconcile.mutate({ month: state.reconcileMonth }),
    );
  };
  return html`<form class="query" @submit=${submit}>
      <label>Month <input type="month" required .value=${state.reconcileMonth} @input=${(
        e: Event,
      ) => {
        state.reconcileMonth = (e.target as HTMLInputElement).value;
      }} /></label>
      <button type="submit" ?disabled=${r.loading}>Reconcile</button>${spinner(r.loading)}
    </form>
    ${errorBox(r.error)}
    ${
      r.data
        ? html`<p id="reconcile-summary">${r.data.month}: ${r.data.slots} report slot(s) checked —
            ${r.data.differences.length === 0 ? 'no differences' : `${r.data.differences.length} difference(s)`}</p>
          ${(r.data.notes ?? []).map((n) => html`<p class="hint" data-reconcile-note>${n}</p>`)}
          ${
            r.data.differences.length > 0
              ? html`<div class="table-wrap"><table id="reconcile-diffs"><thead><tr><th>Slot</th><th>Source</th><th>What</th>
                <th>Event store</th><th>Read model</th></tr></thead><tbody>${r.data.differences.map(
                  (d) =>
                    html`<tr><td>${d.slot} ${d.view}</td><td>${d.source}</td><td>${d.what}</td><td>${d.expected}</td><td>${d.actual}</td></tr>`,
                )}</tbody></table></div>`
              : nothing
          }`
        : nothing
    }`;
}

export function adminScreen(ctx: ScreenContext) {
  return html`<h2>Operations</h2>
    ${state.notice ? html`<p class="notice" role="status" id="notice">${state.notice}</p>` : nothing}
    <section><h3>Read models</h3>${statusTable()}
      <p class="hint">Refreshes every ${REFRESH_MS / 1000} s.
      ${state.links.data ? html`<a href=${state.links.data.url} target="_blank" rel="noopener">Temporal UI</a>` : nothing}</p></section>
    <section><h3>Parked projections</h3>${parkedList(ctx)}</section>
    <section><h3>Webhook subscriptions</h3>${subscriptionsPanel(ctx)}</section>
    <section><h3>Rebuild a read model</h3>${rebuildPanel(ctx)}</section>
    <section><h3>Reconcile a month</h3>${reconcilePanel(ctx)}</section>
    <section><h3>Audit trail</h3>${auditPanel(ctx)}</section>`;
}
