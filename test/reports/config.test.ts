import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

describe('report settings', () => {
  it('has defaults: the 1st at 06:00, 6 hours, a final pull at 23:50 on the last day of the month (node-cron L)', () => {
    const config = parseConfig({});
    expect(config.report).toEqual({ to: [], cron: '0 6 1 * *', staleHours: 6, monthEndSyncCron: '50 23 L * *' });
  });

  it('reads REPORT_TO as a comma list, without blanks or repeats', () => {
    expect(parseConfig({ REPORT_TO: ' ops@example.com,, finance@example.com ,ops@example.com' }).report.to).toEqual(['ops@example.com', 'finance@example.com']);
  });

  it('names every bad report variable in one error', () => {
    expect(() =>
      parseConfig({ REPORT_TO: 'ops@example.com, not-an-address', REPORT_CRON: 'every month', REPORT_STALE_HOURS: '-1', MONTH_END_SYNC_CRON: '99 23 L * *' }),
    ).toThrow(
      /REPORT_TO: not an email address: "not-an-address"[\s\S]*REPORT_CRON: not a valid cron[\s\S]*REPORT_STALE_HOURS: expected a whole number[\s\S]*MONTH_END_SYNC_CRON: not a valid cron/,
    );
  });
});
