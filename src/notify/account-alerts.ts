/**
 * What only a webhook can tell and must not wait for the digest (a policy violation, a
 * restriction, a ban): one email to ALERT_TO per event, queued in the transaction that writes the
 * event, keyed by it — a repeated delivery writes no event (intake/processor.ts) and so queues
 * nothing, and the same violation again later is a new event and a new email.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Entity } from '../diff/types.js';
import { escapeHtml, htmlDocument, htmlTable } from '../render/html.js';
import { plainText } from '../render/plain-text.js';
import { truncate } from '../render/truncate.js';
import { enqueueEmail } from './outbox.js';

export interface AccountAlert {
  readonly source: string;
  readonly type: string;
  readonly key: string;
  readonly after: Entity;
  /** The subject's words, e.g. "Meta reports a ban on WABA 123". */
  readonly headline: string;
  readonly at: string;
  /** The event it tells of. */
  readonly eventId: number;
}

export async function queueAccountAlert(trx: Transaction<Database>, alert: AccountAlert, to: readonly string[], now: Date): Promise<boolean> {
  if (to.length === 0) return false;
  const rows = flatten(alert.after).map(([field, value]) => [field, truncate(value, 300)] as const);
  const headline = plainText(alert.headline);
  const intro = `${headline}. Received by webhook at ${alert.at}; it also heads the next digest.`;
  return enqueueEmail(
    trx,
    {
      idempotencyKey: `account-update:${alert.source}:${alert.key}:${alert.eventId}`,
      to,
      subject: `[waba-sync] ${truncate(headline, 150)}`,
      // Field names are the webhook's keys: upstream text too.
      text: [intro, '', ...rows.map(([field, value]) => `${plainText(field)}: ${plainText(value)}`)].join('\n'),
      html: htmlDocument(headline, `<p>${escapeHtml(intro)}</p>${htmlTable(['field', 'value'], rows)}`),
    },
    now,
  );
}

/** Nested values as dotted fields, in a stable order. */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return [[prefix || 'value', String(value)]];
  const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.flatMap(([key, item]) => flatten(item, prefix ? `${prefix}.${key}` : key));
}
