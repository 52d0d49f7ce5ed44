import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

// Only the pieces used: keeps the bundle small.
Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

export interface Series {
  labels: string[];
  values: number[];
  /** How a value reads (amount in the currency), for ticks, tooltips and the label. */
  format: (value: number) => string;
}

const charts = new WeakMap<HTMLCanvasElement, Chart>();

/**
 * Draws (or redraws) a chart on the canvas. The canvas's aria-label lists every point, so
 * the numbers are there for screen readers and for tests as well as in pixels.
 */
export function drawChart(
  canvas: HTMLCanvasElement,
  type: 'bar' | 'line',
  title: string,
  series: Series,
): void {
  charts.get(canvas)?.destroy();
  canvas.setAttribute('role', 'img');
  canvas.setAttribute(
    'aria-label',
    `${title}: ${series.labels.map((l, i) => `${l} ${series.format(series.values[i] ?? 0)}`).join('; ')}`,
  );
  canvas.dataset.points = String(series.values.length);
  const chart = new Chart(canvas, {
    type,
    data: {
      labels: series.labels,
      datasets: [
        {
          label: title,
          data: series.values,
          backgroundColor: '#3b6fb6',
          borderColor: '#3b6fb6',
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { callback: (v) => series.format(Number(v)) } } },
      plugins: {
        tooltip: { callbacks: { label: (item) => series.format(Number(item.raw)) } },
      },
    },
  });
  charts.set(canvas, chart);
}
