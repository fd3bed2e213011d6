/**
 * The report as an email for one recipient: HTML with the charts inline (cid), a plain-text part,
 * the CSV attached. One email per recipient, so each is queued and deduplicated on its own key.
 */
import type { OutgoingEmail } from '../src/notify/email.js';
import type { RenderedReport } from './render.js';

/**
 * "report:<YYYY-MM>:<recipient>": permanent, so the same month's report is queued once per
 * recipient. A forced resend adds ":resend:<when>" and so becomes a new email.
 */
export function reportIdempotencyKey(month: string, recipient: string, resendAt?: Date): string {
  const base = `report:${month}:${normalizeRecipient(recipient)}`;
  return resendAt ? `${base}:resend:${resendAt.toISOString()}` : base;
}

/**
 * "report:<YYYY-MM>:to-date:<when>:<recipient>": a month-to-date snapshot is its own email, apart
 * from the month's final report, so sending one never makes the final report look already sent.
 */
export function monthToDateIdempotencyKey(month: string, recipient: string, at: Date): string {
  return `report:${month}:to-date:${at.toISOString()}:${normalizeRecipient(recipient)}`;
}

export function normalizeRecipient(address: string): string {
  return address.trim().toLowerCase();
}

export function reportSubject(rendered: RenderedReport): string {
  const { report } = rendered;
  const flag = report.findings.length > 0 ? ` — ${report.findings.length} check finding(s)` : '';
  return `WhatsApp conversations report: ${report.title}${flag}`;
}

export function reportEmail(rendered: RenderedReport, recipient: string, idempotencyKey: string): OutgoingEmail {
  const cid = (name: string) => `${name}.${rendered.report.month}@waba-sync`;
  return {
    idempotencyKey,
    to: [recipient],
    subject: reportSubject(rendered),
    text: rendered.text,
    html: rendered.html((chart) => `cid:${cid(chart.name)}`),
    attachments: [
      ...rendered.charts.map((chart) => ({ filename: chart.filename, contentType: 'image/png', content: chart.png, cid: cid(chart.name) })),
      { filename: `conversations-${rendered.report.month}.csv`, contentType: 'text/csv; charset=utf-8', content: rendered.csv },
      { filename: `onboarding-${rendered.report.month}.csv`, contentType: 'text/csv; charset=utf-8', content: rendered.onboardingCsv },
    ],
  };
}
