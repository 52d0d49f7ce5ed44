import { html, nothing } from 'lit-html';
import { drawChart } from './charts';
import {
  currentMonth,
  errorBox,
  idle,
  type Loadable,
  load,
  previousMonth,
  type ScreenContext,
  spinner,
} from './context';
import { formatMinor } from './money';

interface Trends {
  currency: string;
  months: { month: string; totalSalesMinor: number; source: string }[];
  top: { productId: string; totalSalesMinor: number }[];
}

function monthsBack(month: string, n: number): string {
  let m = month;
  for (let i = 0; i < n; i++) m = previousMonth(m);
  return m;
}

const state = {
  from: monthsBack(currentMonth(), 5),
  to: currentMonth(),
  currency: 'EUR',
  region: '',
  trends: idle<Trends>() as Loadable<Trends>,
};

async function loadTrends(ctx: ScreenContext): Promise<void> {
  const currency = state.currency.trim().toUpperCase();
  const region = state.region.trim();
  await load(ctx, state.trends, async () => {
    const [series, top] = await Promise.all([
      ctx.client.reports.monthlySeries.query({
        from: state.from,
        to: state.to,
        currency,
        ...(region ? { region } : {}),
      }),
      ctx.client.reports.topProducts.query({ from: state.from, to: state.to, currency, limit: 10 }),
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
  state[key] = (e.target as HTMLInputElement).value;
};

export function trendsScreen(ctx: ScreenContext) {
  const t = state.trends;
  const submit = (e: Event) => {
    e.preventDefault();
    void loadTrends(ctx);
  };
  return html`<h2>Net sales over time</h2>
    <form class="query" @submit=${submit}>
      <label>From <input name="from" type="month" required .value=${state.from} @input=${field('from')} /></label>
      <label>To <input name="to" type="month" required .value=${state.to} @input=${field('to')} /></label>
      <label>Currency <input name="currency" required pattern="[A-Za-z]{3}" maxlength="3" size="4" .value=${state.currency} @input=${field('currency')} /></label>
      <label>Region <input name="region" placeholder="all" .value=${state.region} @input=${field('region')} /></label>
      <button type="submit" ?disabled=${t.loading}>Show</button>
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
