// The workspace's address: the screen and every choice on it, in the hash
// (`#/report?month=2026-06&currency=EUR&view=booked…`). The hash, not the query string: it
// never reaches the server (no route or fallback page to serve, nothing in access logs), the
// app already names its screens there, and a change of it is a history entry the browser
// keeps without loading the page again. Pure: parsed and written here, nowhere else.
import { addMonths } from '../../domain/report-months';
import { ID_PATTERN } from '../../domain/rules';
import type { SortKey } from './report-rows';

export const SCREENS = ['report', 'trends', 'admin'] as const;
export type Screen = (typeof SCREENS)[number];

export const SCREEN_LABELS: Record<Screen, string> = {
  report: 'Monthly report',
  trends: 'Trends',
  admin: 'Operations',
};

/**
 * restated: each order in its completion month, refunds taking it out there (the default);
 * booked: completions in their month, refunds as negative lines in the refund's month.
 */
export const REPORT_VIEWS = ['restated', 'booked'] as const;
export type ReportView = (typeof REPORT_VIEWS)[number];

export const SORT_KEYS = [
  'productId',
  'orderCount',
  'totalQuantity',
  'totalSalesMinor',
  'avgUnitPriceMinor',
  'changeMinor',
  'changeRatio',
] as const satisfies readonly SortKey[];

export interface ReportLink {
  month: string;
  currency: string;
  /** null: all regions. */
  region: string | null;
  view: ReportView;
  sort: { key: SortKey; descending: boolean };
  /** The product whose orders are listed (drill-down). */
  product: string | null;
  /** The order whose history is shown, one of the product's. */
  order: string | null;
}

export interface TrendsLink {
  from: string;
  to: string;
  currency: string;
  region: string | null;
}

export type Route =
  | { screen: 'report'; report: ReportLink }
  | { screen: 'trends'; trends: TrendsLink }
  | { screen: 'admin' };

export interface ParsedLink {
  route: Route;
  /** Each value the link had that means nothing, and what is shown instead. */
  problems: string[];
  /** Months the link did not choose: the current month is a guess the API may correct. */
  defaulted: { month: boolean; range: boolean };
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const DEFAULT_CURRENCY = 'EUR';
const TRENDS_MONTHS = 12;

/** A column sorts high to low first, except the product name (A to Z). */
export const firstDirection = (key: SortKey): boolean => key !== 'productId';

export function defaultReport(thisMonth: string): ReportLink {
  return {
    month: thisMonth,
    currency: DEFAULT_CURRENCY,
    region: null,
    view: 'restated',
    sort: { key: 'totalSalesMinor', descending: true },
    product: null,
    order: null,
  };
}

/** The last 12 months, the current one included. */
export function defaultTrends(thisMonth: string): TrendsLink {
  return {
    from: addMonths(thisMonth, -(TRENDS_MONTHS - 1)),
    to: thisMonth,
    currency: DEFAULT_CURRENCY,
    region: null,
  };
}

/** YYYY-MM of a moment on the browser's clock, in its time zone. */
export function localMonth(now: Date): string {
  return `${String(now.getFullYear()).padStart(4, '0')}-${String(now.getMonth() + 1).padStart(2, '0')}`;
}

const ALLOWED: Record<Screen, readonly string[]> = {
  report: ['month', 'currency', 'region', 'view', 'sort', 'dir', 'product', 'order'],
  trends: ['from', 'to', 'currency', 'region'],
  admin: [],
};

/** Reads one parameter: absent gives the default quietly, a bad value says so. */
class Reader {
  readonly problems: string[] = [];
  constructor(private readonly params: URLSearchParams) {}

  has(name: string): boolean {
    return this.params.has(name);
  }

  take<T>(
    name: string,
    fallback: T,
    read: (raw: string) => T | null,
    why: string,
    instead: string,
  ): T {
    const raw = this.params.get(name);
    if (raw === null) return fallback;
    const value = read(raw);
    if (value !== null) return value;
    this.problems.push(`${name} "${raw}" ${why}: ${instead}`);
    return fallback;
  }

  month(name: string, fallback: string): string {
    return this.take(
      name,
      fallback,
      (m) => (MONTH.test(m) ? m : null),
      'is not a month (YYYY-MM)',
      `showing ${fallback}`,
    );
  }

  currency(): string {
    return this.take(
      'currency',
      DEFAULT_CURRENCY,
      (c) => (CURRENCY.test(c) ? c.toUpperCase() : null),
      'is not a currency code (three letters, e.g. EUR)',
      `showing ${DEFAULT_CURRENCY}`,
    );
  }

  id(name: string, why: string, instead: string): string | null {
    return this.take<string | null>(
      name,
      null,
      (v) => (v === '' ? null : ID_PATTERN.test(v) ? v : null),
      why,
      instead,
    );
  }

  region(): string | null {
    return this.id('region', 'is not a region (letters, digits, _ and -)', 'showing all regions');
  }
}

const oneOf =
  <T extends string>(values: readonly T[]) =>
  (raw: string): T | null =>
    (values as readonly string[]).includes(raw) ? (raw as T) : null;

function readReport(r: Reader, thisMonth: string): ReportLink {
  const fallback = defaultReport(thisMonth);
  const month = r.month('month', thisMonth);
  const currency = r.currency();
  const region = r.region();
  const view = r.take(
    'view',
    fallback.view,
    oneOf(REPORT_VIEWS),
    'is not restated or booked',
    `showing ${fallback.view}`,
  );
  const key = r.take(
    'sort',
    fallback.sort.key,
    oneOf(SORT_KEYS),
    `is not a column (${SORT_KEYS.join(', ')})`,
    `sorting by ${fallback.sort.key}`,
  );
  const first = firstDirection(key);
  const descending = r.take(
    'dir',
    first,
    (d) => (d === 'desc' ? true : d === 'asc' ? false : null),
    'is not asc or desc',
    `sorting ${first ? 'descending' : 'ascending'}`,
  );
  const product = r.id('product', 'is not a product id', 'no orders listed');
  let order = r.id('order', 'is not an order id', 'no history shown');
  if (order !== null && product === null) {
    r.problems.push(`order "${order}" opens from a product's orders: no product named`);
    order = null;
  }
  return { month, currency, region, view, sort: { key, descending }, product, order };
}

function readTrends(r: Reader, thisMonth: string): TrendsLink {
  const fallback = defaultTrends(thisMonth);
  return {
    from: r.month('from', fallback.from),
    to: r.month('to', fallback.to),
    currency: r.currency(),
    region: r.region(),
  };
}

/**
 * The route a hash names, given the current month for what it leaves out. Never throws: a
 * value that means nothing falls back to its default and is named in `problems`. Only the
 * form of each value is checked here; whether a month is kept or has begun, or a range is
 * too long, is the API's rule, and its answer says so on the screen.
 */
export function parseLink(hash: string, thisMonth: string): ParsedLink {
  const text = hash.replace(/^#\/?/, '');
  const at = text.indexOf('?');
  const name = at < 0 ? text : text.slice(0, at);
  const params = new URLSearchParams(at < 0 ? '' : text.slice(at + 1));
  const problems: string[] = [];
  let screen: Screen = 'report';
  if ((SCREENS as readonly string[]).includes(name)) screen = name as Screen;
  else if (name !== '') {
    problems.push(`there is no screen "${name}": showing the ${SCREEN_LABELS.report}`);
    return {
      route: { screen: 'report', report: defaultReport(thisMonth) },
      problems,
      defaulted: { month: true, range: false },
    };
  }
  for (const key of new Set(params.keys())) {
    if (!ALLOWED[screen].includes(key)) {
      problems.push(`"${key}" is not a setting of ${SCREEN_LABELS[screen]}: ignored`);
    }
  }
  const r = new Reader(params);
  const monthGiven = (p: string) => MONTH.test(params.get(p) ?? '');
  let parsed: ParsedLink;
  if (screen === 'report') {
    const report = readReport(r, thisMonth);
    parsed = {
      route: { screen, report },
      problems,
      defaulted: { month: !monthGiven('month'), range: false },
    };
  } else if (screen === 'trends') {
    const trends = readTrends(r, thisMonth);
    const range = !monthGiven('from') && !monthGiven('to');
    parsed = { route: { screen, trends }, problems, defaulted: { month: false, range } };
  } else {
    parsed = { route: { screen }, problems, defaulted: { month: false, range: false } };
  }
  problems.push(...r.problems);
  return parsed;
}

/** The hash of a route: every choice written out, so a link shows the same whatever the defaults become. */
export function linkTo(route: Route): string {
  const params = new URLSearchParams();
  const set = (name: string, value: string | null) => {
    if (value !== null) params.set(name, value);
  };
  if (route.screen === 'report') {
    const q = route.report;
    set('month', q.month);
    set('currency', q.currency);
    set('region', q.region);
    set('view', q.view);
    set('sort', q.sort.key);
    set('dir', q.sort.descending ? 'desc' : 'asc');
    set('product', q.product);
    set('order', q.order);
  } else if (route.screen === 'trends') {
    const q = route.trends;
    set('from', q.from);
    set('to', q.to);
    set('currency', q.currency);
    set('region', q.region);
  }
  const query = params.toString();
  return `#/${route.screen}${query ? `?${query}` : ''}`;
}
