import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/env';
import { futureMonth } from '../domain/report-months';
import { EXPORT_USAGE, parseExportArgs } from '../scripts/export-cli';

// `npm run export`'s command line, as pure functions: no process, no server.

const NOW = new Date('2026-12-05T10:00:00Z');
const parse = (...args: string[]) => parseExportArgs(args, NOW, 'UTC');

describe('export months', () => {
  it('given a month after the current one in the zone, when checked, then it has not begun', () => {
    expect(futureMonth('2027-01', NOW, 'UTC')).toEqual({ current: '2026-12' });
    // 2027-01-01 09:00 in Tokyo is still 2026-12-31 in UTC: the zone decides.
    const tokyoNewYear = new Date('2026-12-31T23:30:00Z');
    expect(futureMonth('2027-01', tokyoNewYear, 'Asia/Tokyo')).toBeNull();
    expect(futureMonth('2027-01', tokyoNewYear, 'UTC')).toEqual({ current: '2026-12' });
  });

  it('given the current month or an earlier one, when checked, then it may be exported', () => {
    expect(futureMonth('2026-12', NOW, 'UTC')).toBeNull();
    expect(futureMonth('1999-01', NOW, 'UTC')).toBeNull();
  });
});

describe('npm run export -- arguments', () => {
  it('given --month, then that month', () => {
    expect(parse('--month', '2025-03')).toEqual({ months: ['2025-03'], workflow: false });
  });

  it('given --from and --to, then every month between them, both included', () => {
    expect(parse('--from', '2025-11', '--to', '2026-02')).toEqual({
      months: ['2025-11', '2025-12', '2026-01', '2026-02'],
      workflow: false,
    });
  });

  it('given --workflow, then it asks for the Temporal workflow', () => {
    expect(parse('--month', '2025-03', '--workflow')).toEqual({
      months: ['2025-03'],
      workflow: true,
    });
  });

  it('given a month past any read-model retention, then it is exported all the same', () => {
    expect(parse('--month', '1990-01')).toEqual({ months: ['1990-01'], workflow: false });
  });

  it('given a month that has not begun, then a usage error says the current month', () => {
    expect(parse('--month', '2027-01')).toEqual({
      usage: '2027-01 has not begun (the current month in UTC is 2026-12): nothing to export yet',
    });
    expect(parse('--from', '2026-11', '--to', '2027-02')).toEqual({
      usage: '2027-02 has not begun (the current month in UTC is 2026-12): nothing to export yet',
    });
  });

  it.each([
    [[], 'which month? --month YYYY-MM, or --from YYYY-MM --to YYYY-MM'],
    [['--month', '2025-3'], 'the month must be YYYY-MM (e.g. 2025-06); got "2025-3"'],
    [['--month', '2025-13'], 'the month must be YYYY-MM (e.g. 2025-06); got "2025-13"'],
    [['--from', '2025-01'], '--from needs --to (and --to needs --from)'],
    [['--to', '2025-01'], '--from needs --to (and --to needs --from)'],
    [
      ['--month', '2025-01', '--from', '2025-01', '--to', '2025-02'],
      'give --month or --from/--to, not both',
    ],
    [['--from', '2025-03', '--to', '2025-01'], '--from 2025-03 is after --to 2025-01'],
    [['2025-01'], 'unexpected argument "2025-01": use --month 2025-01'],
  ])('given %j, then the usage error "%s"', (args, reason) => {
    expect(parse(...args)).toEqual({ usage: reason });
  });

  it('given an unknown or incomplete option, then one line naming it', () => {
    const bogus = parse('--bogus');
    expect('usage' in bogus && bogus.usage).toMatch(/--bogus/);
    const incomplete = parse('--month');
    expect('usage' in incomplete && incomplete.usage).toMatch(/--month/);
    for (const r of [bogus, incomplete]) {
      expect('usage' in r && r.usage.includes('\n')).toBe(false);
    }
  });

  it('says how to call it in one usage text', () => {
    expect(EXPORT_USAGE).toContain('npm run export -- --month YYYY-MM');
    expect(EXPORT_USAGE).toContain('--from YYYY-MM --to YYYY-MM');
  });
});

describe('EXPORT_DIR', () => {
  it('given nothing, then exports/ of the working directory', () => {
    expect(parseConfig({}).EXPORT_DIR).toBe('exports');
  });

  it('given a path, then that path', () => {
    expect(parseConfig({ EXPORT_DIR: '/mnt/lake/orders' }).EXPORT_DIR).toBe('/mnt/lake/orders');
  });

  it.each(['', ' exports', 's3://bucket/orders'])('given %j, then refused at start', (dir) => {
    expect(() => parseConfig({ EXPORT_DIR: dir })).toThrow(/EXPORT_DIR/);
  });
});
