import { describe, expect, it } from 'vitest';
import {
  defaultReport,
  defaultTrends,
  linkTo,
  localMonth,
  parseLink,
  type ReportLink,
  type Route,
} from '../web/src/url-state';

// The workspace's address: every choice of a screen in the hash, parsed and written by one
// pure module, so a pasted link, reload and back/forward show the same screen.
const THIS_MONTH = '2026-12';

const june: ReportLink = {
  month: '2026-06',
  currency: 'EUR',
  region: 'eu',
  view: 'booked',
  sort: { key: 'productId', descending: false },
  product: null,
  order: null,
};

describe('a link with every choice of the Monthly report', () => {
  it('given a report route, when written and read back, then it is the same route, with nothing to complain about', () => {
    const route: Route = { screen: 'report', report: june };
    const hash = linkTo(route);
    expect(hash).toBe(
      '#/report?month=2026-06&currency=EUR&region=eu&view=booked&sort=productId&dir=asc',
    );
    expect(parseLink(hash, THIS_MONTH)).toEqual({
      route,
      problems: [],
      defaulted: { month: false, range: false },
    });
  });

  it('given a drill-down and an order history open, then both are in the link and read back', () => {
    const route: Route = {
      screen: 'report',
      report: { ...june, region: null, product: 'p-web-a', order: 'o-123' },
    };
    const hash = linkTo(route);
    expect(hash).toContain('product=p-web-a&order=o-123');
    expect(hash).not.toContain('region=');
    expect(parseLink(hash, THIS_MONTH).route).toEqual(route);
  });

  it('given values a URL encodes (a region with a dash, a lower-case currency), then they read back as the API takes them', () => {
    const { route, problems } = parseLink(
      '#/report?month=2026-06&currency=usd&region=us-east',
      THIS_MONTH,
    );
    expect(problems).toEqual([]);
    expect(route).toEqual({
      screen: 'report',
      report: {
        ...defaultReport(THIS_MONTH),
        month: '2026-06',
        currency: 'USD',
        region: 'us-east',
      },
    });
  });
});

describe('opening with nothing chosen', () => {
  it('given an empty address, then the Monthly report of the current month, in EUR, restated, by net sales', () => {
    for (const hash of ['', '#', '#/', '#/report']) {
      expect(parseLink(hash, THIS_MONTH)).toEqual({
        route: { screen: 'report', report: defaultReport(THIS_MONTH) },
        problems: [],
        defaulted: { month: true, range: false },
      });
    }
    expect(defaultReport(THIS_MONTH)).toEqual({
      month: '2026-12',
      currency: 'EUR',
      region: null,
      view: 'restated',
      sort: { key: 'totalSalesMinor', descending: true },
      product: null,
      order: null,
    });
  });

  it('given Trends with no range, then the last 12 months up to the current one', () => {
    expect(parseLink('#/trends', THIS_MONTH)).toEqual({
      route: { screen: 'trends', trends: defaultTrends(THIS_MONTH) },
      problems: [],
      defaulted: { month: false, range: true },
    });
    expect(defaultTrends(THIS_MONTH)).toEqual({
      from: '2026-01',
      to: '2026-12',
      currency: 'EUR',
      region: null,
    });
    expect(defaultTrends('2026-03').from).toBe('2025-04');
  });

  it('given a sort column without a direction, then the direction that column sorts by first', () => {
    const read = (hash: string) => {
      const { route } = parseLink(hash, THIS_MONTH);
      return route.screen === 'report' ? route.report.sort : null;
    };
    expect(read('#/report?sort=productId')).toEqual({ key: 'productId', descending: false });
    expect(read('#/report?sort=orderCount')).toEqual({ key: 'orderCount', descending: true });
  });
});

describe('a link with Trends choices', () => {
  it('given a range, currency and region, when written and read back, then the same', () => {
    const route: Route = {
      screen: 'trends',
      trends: { from: '2016-04', to: '2016-07', currency: 'JPY', region: 'apac' },
    };
    const hash = linkTo(route);
    expect(hash).toBe('#/trends?from=2016-04&to=2016-07&currency=JPY&region=apac');
    expect(parseLink(hash, THIS_MONTH)).toEqual({
      route,
      problems: [],
      defaulted: { month: false, range: false },
    });
  });

  it('given only one end of the range, then the other is the default one', () => {
    const { route, defaulted } = parseLink('#/trends?from=2026-06', THIS_MONTH);
    expect(route).toEqual({
      screen: 'trends',
      trends: { ...defaultTrends(THIS_MONTH), from: '2026-06' },
    });
    expect(defaulted.range).toBe(false);
  });
});

describe('a pasted link with values that mean nothing', () => {
  it('given a bad month, currency, view, sort and direction, then each is named and its default shown', () => {
    const { route, problems } = parseLink(
      '#/report?month=2026-13&currency=EURO&view=sideways&sort=price&dir=up&region=eu%20west',
      THIS_MONTH,
    );
    expect(route).toEqual({ screen: 'report', report: defaultReport(THIS_MONTH) });
    expect(problems).toEqual([
      'month "2026-13" is not a month (YYYY-MM): showing 2026-12',
      'currency "EURO" is not a currency code (three letters, e.g. EUR): showing EUR',
      'region "eu west" is not a region (letters, digits, _ and -): showing all regions',
      'view "sideways" is not restated or booked: showing restated',
      'sort "price" is not a column (productId, orderCount, totalQuantity, totalSalesMinor, avgUnitPriceMinor, changeMinor, changeRatio): sorting by totalSalesMinor',
      'dir "up" is not asc or desc: sorting descending',
    ]);
  });

  it('given a bad month in Trends, then that end falls back and the other is kept', () => {
    const { route, problems } = parseLink('#/trends?from=June&to=2026-10', THIS_MONTH);
    expect(route).toEqual({
      screen: 'trends',
      trends: { ...defaultTrends(THIS_MONTH), to: '2026-10' },
    });
    expect(problems).toEqual(['from "June" is not a month (YYYY-MM): showing 2026-01']);
  });

  it('given an unknown screen, then the Monthly report, saying so', () => {
    const { route, problems } = parseLink('#/reprot?month=2026-06', THIS_MONTH);
    expect(route).toEqual({ screen: 'report', report: defaultReport(THIS_MONTH) });
    expect(problems).toEqual(['there is no screen "reprot": showing the Monthly report']);
  });

  it('given a setting the screen does not have, then it is named and ignored', () => {
    const { route, problems } = parseLink('#/trends?from=2026-06&month=2026-06', THIS_MONTH);
    expect(route).toEqual({
      screen: 'trends',
      trends: { ...defaultTrends(THIS_MONTH), from: '2026-06' },
    });
    expect(problems).toEqual(['"month" is not a setting of Trends: ignored']);
  });

  it('given an order without the product it was opened from, then the order is dropped, saying why', () => {
    const { route, problems } = parseLink('#/report?month=2026-06&order=o-1', THIS_MONTH);
    expect(route.screen === 'report' && route.report.order).toBeNull();
    expect(problems).toEqual(['order "o-1" opens from a product\'s orders: no product named']);
  });

  it('given text that is not even a query (bad percent-encoding), then the defaults, not an exception', () => {
    const { route, problems } = parseLink('#/report?month=%E0%A4%A', THIS_MONTH);
    expect(route).toEqual({ screen: 'report', report: defaultReport(THIS_MONTH) });
    expect(problems).toHaveLength(1);
  });

  it('given any bad link, then the defaulted link it is replaced by reads back with no problem', () => {
    const { route } = parseLink('#/report?month=13&view=x&sort=y', THIS_MONTH);
    expect(parseLink(linkTo(route), THIS_MONTH).problems).toEqual([]);
  });
});

describe("the current month as the browser's clock says", () => {
  it('given a local date, then its year and month, zero-padded', () => {
    expect(localMonth(new Date(2026, 0, 31, 23, 59))).toBe('2026-01');
    expect(localMonth(new Date(987, 11, 1))).toBe('0987-12');
  });
});
