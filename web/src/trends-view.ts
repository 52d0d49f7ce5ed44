import { html, nothing } from 'lit-html';
import { drawChart } from './charts';
import {
  currentMonth,
  currentMonthNotBegun,
  errorBox,
  idle,
  type Loadable,
  load,
  type ScreenContext,
  spinner,
} from './context';
import { isFutureMonth } from './errors';
import { formatMinor } from './money';
import { defaultTrends, type TrendsLink } from './url-state';

interface Trends {
  currency: string;
  months: { month: string; totalSalesMinor: number; source: string }[];
  top: { productId: string; totalSalesMinor: number }[];
}

const state = {
  /** The choices being typed; the shown ones are in the address until the form is sent. */
  form: { from: '', to: '', currency: '', region: '' },
  /** The range, currency and region asked for last. */
  asked: '',
  trends: idle<Trends>() as Loadable<Trends>,
};

const go = (ctx: ScreenContext, link: TrendsLink, how?: 'push' | 'replace') =>
  ctx.navigate({ screen: 'trends', trends: link }, how);

/**
 * Shows the trends an address names, asking the API when they differ from what was asked
 * last (or `again`). A range the address left out ends at the browser's guess of the
 * current month: if the API says it has not begun, the range ends a month earlier.
 */
export function showTrends(
  ctx: ScreenContext,
  link: TrendsLink,
  opts: { defaultedRange: boolean; again: boolean },
): void {
  state.form = { from: link.from, to: link.to, currency: link.currency, region: link.region ?? '' };
  const asked = JSON.stringify(link);
  if (!opts.again && asked === state.asked) return;
  state.asked = asked;
  void loadTrends(ctx, link).then(() => {
    if (state.asked !== asked || !opts.defaultedRange || !isFutureMonth(state.trends.error)) return;
    currentMonthNotBegun();
    const { from, to } = defaultTrends(currentMonth());
    go(ctx, { ...link, from, to }, 'replace');
  });
}

async function loadTrends(ctx: ScreenContext, link: TrendsLink): Promise<void> {
  const { from, to, currency, region } = link;
  await load(ctx, state.trends, async () => {
    const [series, top] = await Promise.all([
      ctx.client.reports.monthlySeries.query({ from, to, currency, ...(region ? { region } : {}) }),
      ctx.client.reports.topProducts.query({
        from,
        to,
        currency,
        limit: 10,
        ...(region ? { region } : {}),
      }),
    ]);
    return {
      currency,
      months: series.months.map((m) => ({
        month: m.month,
        totalSalesMinor: m.totals.totalSalesMinor,
        source: m.source,
      })),
      top: top.products.map((p) => ({
        productId: p.productId,
        totalSalesMinor: p.totalSalesMinor,
      })),
    };
  });
  // The latest answer (load lands no other) on the canvases there are, if Trends is on screen.
  drawTrends();
}

/** Draws the charts of the trends shown on their canvases (rendered anew on each visit). */
export function drawTrends(): void {
  const data = state.trends.data;
  if (!data) return;
  const format = (v: number) => formatMinor(v, data.currency);
  const salesCanvas = document.querySelector<HTMLCanvasElement>('#chart-sales');
  const topCanvas = document.querySelector<HTMLCanvasElement>('#chart-top');
  if (salesCanvas) {
    drawChart(salesCanvas, 'line', 'Net sales per month', {
      labels: data.months.map((m) => m.month),
      values: data.months.map((m) => m.totalSalesMinor),
      format,
    });
  }
  if (topCanvas) {
    drawChart(topCanvas, 'bar', 'Top products by net sales', {
      labels: data.top.map((p) => p.productId),
      values: data.top.map((p) => p.totalSalesMinor),
      format,
    });
  }
}

const field = (key: 'from' | 'to' | 'currency' | 'region') => (e: Event) => {
  state.form[key] = (e.target as HTMLInputElement).value;
};

export function trendsScreen(ctx: ScreenContext) {
  const t = state.trends;
  const { form } = state;
  const submit = (e: Event) => {
    e.preventDefault();
    go(ctx, {
      from: form.from,
      to: form.to,
      currency: form.currency.trim().toUpperCase(),
      region: form.region.trim() || null,
    });
  };
  return html`<h2>Net sales over time</h2>
    <form class="query" @submit=${submit}>
      <label>From <input name="from" type="month" required .value=${form.from} @input=${field('from')} /></label>
      <label>To <input name="to" type="month" required .value=${form.to} @input=${field('to')} /></label>
      <label>Currency <input name="currency" required pattern="[A-Za-z]{3}" maxlength="3" size="4" .value=${form.currency} @input=${field('currency')} /></label>
      <label>Region <input name="region" placeholder="all" .value=${form.region} @input=${field('region')} /></label>
      <button type="submit">Show</button>
      ${spinner(t.loading)}
    </form>
    <p class="hint">At most 36 months. Closed months come from their rollups.</p>
    ${errorBox(t.error)}
    ${
      t.data
        ? html`<div class="charts">
            <figure><figcaption>Net sales per month</figcaption><div class="chart"><canvas id="chart-sales"></canvas></div></figure>
            <figure><figcaption>Top products (all regions)</figcaption><div class="chart"><canvas id="chart-top"></canvas></div></figure>
          </div>`
        : nothing
    }`;
}
