import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

describe('report settings', () => {
  it('has defaults: the 1st at 06:00, 6 hours, a final pull at 23:50 on the last day of the month (node-cron L)', () => {
    const config = parseConfig({});
    expect(config.report).toEqual({ to: [], cron: '0 6 1 * *', staleHours: 6, monthEndSyncCron: '50 23 L * *' });
  });

  it('reads REPORT_TO as a comma list, without blanks or repeats', () => {
    const mail = { SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'waba-sync@example.com' };
    expect(parseConfig({ ...mail, REPORT_TO: ' ops@example.com,, finance@example.com ,ops@example.com' }).report.to).toEqual(['ops@example.com', 'finance@example.com']);
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
  it('schedules the month-end pull when 99digital is enabled, and the report only when it can be emailed', async () => {
    const { scheduleTable } = await import('../../jobs/schedule.js');
    const digital99 = { DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret' };
    expect(scheduleTable(parseConfig({})).map((job) => job.name)).toEqual(['sync-incremental', 'sync-full']);
    expect(scheduleTable(parseConfig(digital99)).map((job) => [job.name, job.variable, job.cron])).toEqual([
      ['sync-incremental', 'SYNC_CRON', '*/15 * * * *'],
      ['sync-full', 'FULL_SYNC_CRON', '0 */6 * * *'],
      ['sync-month-end', 'MONTH_END_SYNC_CRON', '50 23 L * *'],
    ]);
    // REPORT_TO without mail settings is a configuration error (the report could never be sent),
    // like DIGEST_TO and ALERT_TO.
    expect(() => parseConfig({ ...digital99, REPORT_TO: 'ops@example.com' })).toThrow(/SMTP_URL: required because REPORT_TO is set/);
    const mail = { SMTP_URL: 'smtp://127.0.0.1:2525', MAIL_FROM: 'waba-sync@example.com' };
    const withReport = scheduleTable(parseConfig({ ...digital99, ...mail, REPORT_TO: 'ops@example.com', REPORT_CRON: '30 7 1 * *' }));
    expect(withReport.find((job) => job.name === 'report')).toMatchObject({ variable: 'REPORT_CRON', cron: '30 7 1 * *' });
  });
});
