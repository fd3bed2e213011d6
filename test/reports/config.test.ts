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

describe('report jobs in the schedule table', () => {
  it('schedules the month-end pull always, and the report only when REPORT_TO is set', async () => {
    const { scheduleTable } = await import('../../jobs/schedule.js');
    const { reportHarness } = await import('../helpers/report.js');
    const without = await reportHarness();
    expect(scheduleTable(without.app).map((job) => [job.name, job.variable, job.cron])).toEqual([
      ['sync', 'SYNC_CRON', '*/15 * * * *'],
      ['sync-month-end', 'MONTH_END_SYNC_CRON', '50 23 L * *'],
    ]);
    const withRecipients = await reportHarness({ REPORT_TO: 'ops@example.com', REPORT_CRON: '30 7 1 * *' });
    expect(scheduleTable(withRecipients.app).map((job) => job.name)).toEqual(['sync', 'sync-month-end', 'report']);
    expect(scheduleTable(withRecipients.app).find((job) => job.name === 'report')!.cron).toBe('30 7 1 * *');
  });
});
