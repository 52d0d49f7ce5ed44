import { html, nothing } from 'lit-html';
import {
  currentMonth,
  currentMonthNotBegun,
  errorBox,
  idle,
  load,
  previousMonth,
  type ScreenContext,
  spinner,
} from './context';
import { download } from './download';
import { isFutureMonth, isPastRetention } from './errors';
import { formatMinor, formatPercent } from './money';
import {
  closeOrderHistory,
  orderHistoryPanel,
  shownOrderHistory,
  showOrderHistory,
} from './order-history';
import { compareMonths, type ReportRow, rowsToCsv, type SortKey, sortRows } from './report-rows';
import { defaultReport, firstDirection, type ReportLink, type ReportView } from './url-state';

interface Report {
  view: ReportView;
  /** The month before, when it is past the read models' retention: no comparison then. */
  previousExpired: string | null;
  month: string;
  currency: string;
  region: string | null;
  source: 'live' | 'rollup';
  generatedAt: string;
  totals: { orderCount: number; totalQuantity: number; totalSalesMinor: number };
  rows: ReportRow[];
}

interface DrillOrder {
  orderId: string;
  customerId: string;
  region: string;
  completedAt: string | null;
  totalMinor: number;
  quantity: number;
}

const state = {
  /** The choices being typed; the shown ones are `link`'s until the form is sent. */
  form: { month: '', currency: '', region: '', view: 'restated' as ReportView },
  /** What the address says is shown (sort, drill-down and history included). */
  link: defaultReport(currentMonth()),
  /** The month, currency, region and view of the report asked for last. */
  asked: '',
  report: idle<Report>(),
  drill: {
    productId: null as string | null,
    orders: idle<{ items: DrillOrder[]; more: boolean }>(),
  },
};

const go = (ctx: ScreenContext, link: ReportLink, how?: 'push' | 'replace') =>
  ctx.navigate({ screen: 'report', report: link }, how);

const askedOf = (l: ReportLink) => JSON.stringify([l.month, l.currency, l.region, l.view]);

/**
 * Shows the report an address names: asks the API when the month, currency, region or view
 * differ from what was asked last (or `again`), then opens the drill-down and history the
 * address names. A month the address left out is the browser's guess of the current one:
 * if the API says it has not begun, the month before is shown (and put in the address).
 */
export function showReport(
  ctx: ScreenContext,
  link: ReportLink,
  opts: { defaultedMonth: boolean; again: boolean },
): void {
  state.link = link;
  state.form = {
    month: link.month,
    currency: link.currency,
    region: link.region ?? '',
    view: link.view,
  };
  if (!opts.again && askedOf(link) === state.asked) {
    void openDrill(ctx, link);
    return;
  }
  state.asked = askedOf(link);
  void loadReport(ctx, link).then(() => {
    // A later address asked for another report: its own answer goes on from here.
    if (askedOf(state.link) !== askedOf(link)) return;
    if (opts.defaultedMonth && isFutureMonth(state.report.error)) {
      currentMonthNotBegun();
      go(ctx, { ...link, month: currentMonth() }, 'replace');
      return;
    }
    // The address now (back or forward may have named a drill-down meanwhile).
    return openDrill(ctx, state.link);
  });
}

/** The drill-down and the order history the address names (none: closed). */
async function openDrill(ctx: ScreenContext, link: ReportLink): Promise<void> {
  // The report being asked for opens it when it answers; the one on screen is the last one's.
  if (state.report.loading) return;
  const report = state.report.data;
  if (!link.product || !report) {
    state.drill.productId = null;
    closeOrderHistory();
    return;
  }
  if (state.drill.productId !== link.product) await drillDown(ctx, report, link.product);
  if (state.link !== link) return;
  if (!link.order) closeOrderHistory();
  else if (shownOrderHistory() !== link.order) await showOrderHistory(ctx, link.order);
}

async function loadReport(ctx: ScreenContext, link: ReportLink): Promise<void> {
  const q = {
    currency: link.currency,
    view: link.view,
    ...(link.region ? { region: link.region } : {}),
  };
  state.drill.productId = null;
  closeOrderHistory();
  await load(ctx, state.report, async () => {
    const before = previousMonth(link.month);
    const [current, previous] = await Promise.all([
      ctx.client.reports.monthly.query({ month: link.month, ...q }),
      // The oldest month kept has no month before it: shown without a comparison.
      ctx.client.reports.monthly
        .query({ month: before, ...q })
        .catch((err: unknown) => (isPastRetention(err) ? null : Promise.reject(err))),
    ]);
    return {
      view: q.view,
      previousExpired: previous === null ? before : null,
      month: current.month,
      currency: current.currency,
      region: current.region,
      source: current.source,
      generatedAt: current.generatedAt,
      totals: current.totals,
      rows: compareMonths(current.products, previous?.products ?? null),
    };
  });
}

async function drillDown(ctx: ScreenContext, report: Report, productId: string): Promise<void> {
  state.drill.productId = productId;
  // The heading names the new product and month at once: rows of the last drill-down left
  // under it while this one loads would read as its orders.
  state.drill.orders.data = null;
  closeOrderHistory();
  await load(ctx, state.drill.orders, async () => {
    const page = await ctx.client.orders.search.query({
      // Restated counts the month's completions not refunded since; booked counts every one.
      ...(report.view === 'restated' ? { status: 'completed' as const } : {}),
      reportMonth: report.month,
      productId,
      currency: report.currency,
      ...(report.region ? { region: report.region } : {}),
      pageSize: 100,
    });
    return {
      items: page.items.map((o) => ({
        orderId: o.orderId,
        customerId: o.customerId,
        region: o.region,
        completedAt: o.completedAt,
        totalMinor: o.items
          .filter((i) => i.productId === productId)
          .reduce((sum, i) => sum + i.lineTotalMinor, 0),
        quantity: o.items
          .filter((i) => i.productId === productId)
          .reduce((sum, i) => sum + i.quantity, 0),
      })),
      more: page.nextCursor !== null,
    };
  });
}

const COLUMNS: { key: SortKey; label: string; numeric: boolean }[] = [
  { key: 'productId', label: 'Product', numeric: false },
  { key: 'orderCount', label: 'Orders', numeric: true },
  { key: 'totalQuantity', label: 'Quantity', numeric: true },
  { key: 'totalSalesMinor', label: 'Net sales', numeric: true },
  { key: 'avgUnitPriceMinor', label: 'Avg unit price', numeric: true },
  { key: 'changeMinor', label: 'Change vs previous month', numeric: true },
  { key: 'changeRatio', label: 'Change %', numeric: true },
];

/** A sort is how the same report reads: it replaces the address rather than add a step. */
function sortBy(ctx: ScreenContext, key: SortKey): void {
  const { sort } = state.link;
  go(
    ctx,
    {
      ...state.link,
      sort:
        sort.key === key
          ? { key, descending: !sort.descending }
          : { key, descending: firstDirection(key) },
    },
    'replace',
  );
}

function cell(row: ReportRow, key: SortKey, currency: string): string {
  switch (key) {
    case 'productId':
      return row.productId;
    case 'totalSalesMinor':
    case 'avgUnitPriceMinor':
    case 'changeMinor': {
      const minor = row[key];
      return minor === null ? '—' : formatMinor(minor, currency);
    }
    case 'changeRatio':
      return formatPercent(row.changeRatio);
    default:
      return new Intl.NumberFormat().format(row[key]);
  }
}

function reportTable(ctx: ScreenContext, report: Report) {
  const { sort } = state.link;
  const rows = sortRows(report.rows, sort.key, sort.descending);
  const csvName = `report-${report.month}-${report.currency}${report.region ? `-${report.region}` : ''}${report.view === 'booked' ? '-booked' : ''}.csv`;
  return html`
    <h2 data-report-title>${report.month} · ${report.currency} · ${report.region ?? 'all regions'} · ${report.view} view</h2>
    <section class="summary" aria-label="Totals">
      <div><span>Net sales</span><strong data-total="sales">${formatMinor(report.totals.totalSalesMinor, report.currency)}</strong></div>
      <div><span>Orders</span><strong data-total="orders">${report.totals.orderCount}</strong></div>
      <div><span>Quantity</span><strong data-total="quantity">${report.totals.totalQuantity}</strong></div>
      <div><span>View</span><strong data-view>${report.view}</strong></div>
      <div><span>Source</span><strong data-source>${report.source}</strong></div>
      <div><span>Generated</span><strong><time datetime=${report.generatedAt}>${new Date(report.generatedAt).toLocaleString()}</time></strong></div>
    </section>
    ${
      report.previousExpired
        ? html`<p class="hint" data-previous-expired>No comparison: ${report.previousExpired} is past the read models' retention, its report is no longer kept.</p>`
        : nothing
    }
    <p>
      <button type="button" id="export-csv" @click=${() => download(csvName, rowsToCsv(rows, report.currency))}>
        Export CSV
      </button>
    </p>
    <div class="table-wrap">
      <table id="products">
        <thead><tr>
          ${COLUMNS.map((c) => {
            const active = sort.key === c.key;
            const ariaSort = active ? (sort.descending ? 'descending' : 'ascending') : 'none';
            return html`<th aria-sort=${ariaSort} class=${c.numeric ? 'num' : ''}>
              <button type="button" class="sort" data-sort=${c.key} @click=${() => sortBy(ctx, c.key)}>
                ${c.label}${active ? (sort.descending ? ' ▼' : ' ▲') : ''}
              </button></th>`;
          })}
          <th>Drill-down</th>
        </tr></thead>
        <tbody>
          ${rows.length === 0 ? html`<tr><td colspan="8">No completed orders in this month.</td></tr>` : nothing}
          ${rows.map(
            (r) => html`<tr data-product=${r.productId}>
              ${COLUMNS.map((c) => html`<td class=${c.numeric ? 'num' : ''} data-col=${c.key}>${cell(r, c.key, report.currency)}</td>`)}
              <td><button type="button" class="drill" @click=${() => go(ctx, { ...state.link, product: r.productId, order: null })}>Orders</button></td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
    ${drillPanel(ctx, report)}
  `;
}

function drillPanel(ctx: ScreenContext, report: Report) {
  const { productId, orders } = state.drill;
  if (!productId) return nothing;
  return html`<section id="drilldown" aria-live="polite">
    <h3>Orders of ${productId} completed in ${report.month}${report.view === 'booked' ? ', refunded since or not (refunds booked in this month of earlier sales are not listed)' : ' and not refunded'}</h3>
    ${spinner(orders.loading)} ${errorBox(orders.error)}
    ${
      orders.data
        ? html`<div class="table-wrap"><table>
          <thead><tr><th>Order</th><th>Customer</th><th>Region</th><th>Completed</th><th class="num">Quantity</th><th class="num">Amount</th><th>History</th></tr></thead>
          <tbody>${orders.data.items.map(
            (
              o,
            ) => html`<tr data-order=${o.orderId}><td>${o.orderId}</td><td>${o.customerId}</td><td>${o.region}</td>
              <td>${o.completedAt ? new Date(o.completedAt).toLocaleString() : ''}</td>
              <td class="num">${o.quantity}</td><td class="num">${formatMinor(o.totalMinor, report.currency)}</td>
              <td><button type="button" class="history" @click=${() => go(ctx, { ...state.link, order: o.orderId })}>Events</button></td></tr>`,
          )}</tbody></table></div>
          ${orders.data.more ? html`<p>Showing the newest 100.</p>` : nothing}`
        : nothing
    }
    ${orderHistoryPanel()}
  </section>`;
}

export function reportScreen(ctx: ScreenContext) {
  const r = state.report;
  const { form } = state;
  const submit = (e: Event) => {
    e.preventDefault();
    go(ctx, {
      ...state.link,
      month: form.month,
      currency: form.currency.trim().toUpperCase(),
      region: form.region.trim() || null,
      view: form.view,
      product: null,
      order: null,
    });
  };
  const month = (m: string) => go(ctx, { ...state.link, month: m, product: null, order: null });
  const lastComplete = previousMonth(currentMonth());
  return html`<h2>Monthly report</h2>
    <form class="query" @submit=${submit}>
      <label>Month <input name="month" type="month" required .value=${form.month}
        @input=${(e: Event) => {
          form.month = (e.target as HTMLInputElement).value;
        }} /></label>
      <label>Currency <input name="currency" required pattern="[A-Za-z]{3}" maxlength="3" size="4" .value=${form.currency}
        @input=${(e: Event) => {
          form.currency = (e.target as HTMLInputElement).value;
        }} /></label>
      <label>Region <input name="region" placeholder="all" .value=${form.region}
        @input=${(e: Event) => {
          form.region = (e.target as HTMLInputElement).value;
        }} /></label>
      <label>View <select name="view" title="restated: each order in its completion month, refunds take it out there; booked: refunds are negative lines in the refund's month"
        .value=${form.view}
        @change=${(e: Event) => {
          form.view = (e.target as HTMLSelectElement).value as ReportView;
        }}>
        <option value="restated">restated</option>
        <option value="booked">booked</option>
      </select></label>
      <button type="submit">Show report</button>
      ${spinner(r.loading)}
    </form>
    <p class="months">
      <button type="button" id="this-month" @click=${() => month(currentMonth())}>This month (${currentMonth()})</button>
      <button type="button" id="last-complete-month" @click=${() => month(lastComplete)}>Last complete month (${lastComplete})</button>
    </p>
    ${errorBox(r.error)}
    ${r.data ? reportTable(ctx, r.data) : nothing}`;
}
