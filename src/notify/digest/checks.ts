/**
 * Reconciliation checks on the data we already hold. Each check reads current state and yields
 * findings keyed by (check, key); `compareFindings` turns them into what is new and what cleared
 * since the last digest, so each finding is listed once when it appears and once when it clears.
 * A check that could not run (its source not enabled or never pulled completely) leaves its open
 * findings alone rather than declaring them cleared.
 */
import type { Kysely } from 'kysely';
import type { CheckFindingRow, Database } from '../../../db/schema.js';
import { lastCompleteRun } from '../../sync/ledger.js';

export type CheckId = 'onboarding_number_missing' | 'counters_sum' | 'totals_sum' | 'channel_waba_unknown';

export const CHECK_TITLES: Readonly<Record<CheckId, string>> = {
  onboarding_number_missing: '99digital: finished onboarding whose number is not in the numbers list',
  counters_sum: "99digital: a number's counters don't add up",
  totals_sum: "99digital: the totals don't match the numbers list",
  channel_waba_unknown: '360dialog: live channel whose WABA is not among the Meta client WABAs',
};

export interface Finding {
  readonly check: CheckId;
  readonly key: string;
  readonly detail: string;
}

export interface CheckResults {
  /** Checks that ran; only their open findings can clear. */
  readonly ran: ReadonlySet<CheckId>;
  readonly findings: readonly Finding[];
}

export interface CheckOptions {
  readonly now: Date;
  readonly graceHours: number;
  /** Sources enabled in this configuration (the Meta/360dialog check needs both). */
  readonly enabledSources: readonly string[];
}

type Reader = Kysely<Database>;

export async function runChecks(db: Reader, options: CheckOptions): Promise<CheckResults> {
  const ran = new Set<CheckId>();
  const findings: Finding[] = [];
  const digital99Run = await latestComplete(db, 'digital99');
  if (digital99Run !== null) {
    ran.add('onboarding_number_missing');
    findings.push(...(await missingNumbers(db, options)));
    ran.add('counters_sum');
    ran.add('totals_sum');
    findings.push(...(await counterFindings(db, digital99Run)));
  }
  const bothEnabled = options.enabledSources.includes('meta') && options.enabledSources.includes('dialog360');
  if (bothEnabled && (await latestComplete(db, 'meta')) !== null && (await latestComplete(db, 'dialog360')) !== null) {
    ran.add('channel_waba_unknown');
    findings.push(...(await unknownChannelWabas(db)));
  }
  return { ran, findings };
}

/** Pure: findings that appeared (not open yet) and open ones that are gone (among checks that ran). */
export function compareFindings(open: readonly CheckFindingRow[], results: CheckResults): { opened: Finding[]; cleared: Finding[] } {
  const id = (f: { check: string; key: string }) => `${f.check}\u0000${f.key}`;
  const openIds = new Set(open.map(id));
  const currentIds = new Set(results.findings.map(id));
  return {
    opened: results.findings.filter((f) => !openIds.has(id(f))),
    cleared: open
      .filter((row) => results.ran.has(row.check as CheckId) && !currentIds.has(id(row)))
      .map((row) => ({ check: row.check as CheckId, key: row.key, detail: row.detail })),
  };
}

async function latestComplete(db: Reader, source: string): Promise<number | null> {
  return (await lastCompleteRun(db, source))?.id ?? null;
}

async function current(db: Reader, source: string, kind: string): Promise<{ key: string; data: Record<string, unknown> }[]> {
  const rows = await db
    .selectFrom('entity_version')
    .select(['key', 'data'])
    .where('source', '=', source)
    .where('kind', '=', kind)
    .where('valid_to', 'is', null)
    .execute();
  return rows.map((row) => ({ key: row.key, data: JSON.parse(row.data) as Record<string, unknown> }));
}

/** Finished onboardings (status 1 for longer than the grace period) whose number is not listed. */
async function missingNumbers(db: Reader, options: CheckOptions): Promise<Finding[]> {
  const numbers = new Set((await current(db, 'digital99', 'number')).map((n) => n.key));
  const candidates = (await current(db, 'digital99', 'onboarding')).filter(
    (o) => o.data.status === 1 && typeof o.data.whatsapp === 'string' && !numbers.has(o.data.whatsapp),
  );
  if (candidates.length === 0) return [];
  const history = await db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from'])
    .where('source', '=', 'digital99')
    .where('kind', '=', 'onboarding')
    .where(
      'key',
      'in',
      candidates.map((c) => c.key),
    )
    .orderBy('valid_from')
    .execute();
  const finishedAt = new Map<string, string>();
  for (const version of history) {
    if (!finishedAt.has(version.key) && (JSON.parse(version.data) as { status?: unknown }).status === 1) finishedAt.set(version.key, version.valid_from);
  }
  const deadline = options.now.getTime() - options.graceHours * 3_600_000;
  const findings: Finding[] = [];
  for (const onboarding of candidates) {
    const since = finishedAt.get(onboarding.key);
    if (!since || Date.parse(since) > deadline) continue;
    const business = [onboarding.data.business_name, onboarding.data.reference ? `reference ${String(onboarding.data.reference)}` : null].filter(Boolean).join(', ');
    findings.push({
      check: 'onboarding_number_missing',
      key: onboarding.key,
      detail: `${String(onboarding.data.whatsapp)} (${business || 'no business name'}) finished by ${since.slice(0, 16).replace('T', ' ')} UTC, not in getWhatsApp`,
    });
  }
  return findings;
}

/** The data checks recorded with the latest complete 99digital pull, one finding per (check, key). */
async function counterFindings(db: Reader, runId: number): Promise<Finding[]> {
  const rows = await db
    .selectFrom('data_check')
    .select(['check', 'key', 'detail'])
    .where('run_id', '=', runId)
    .where('check', 'in', ['counters_sum', 'totals_sum'])
    .orderBy('id')
    .execute();
  const grouped = new Map<string, { check: CheckId; key: string; details: string[] }>();
  for (const row of rows) {
    const id = `${row.check}\u0000${row.key}`;
    const entry = grouped.get(id) ?? { check: row.check as CheckId, key: row.key, details: [] };
    entry.details.push(row.detail);
    grouped.set(id, entry);
  }
  return [...grouped.values()].map((g) => ({
    check: g.check,
    key: g.key === '*' ? 'totals' : g.key,
    detail: `${g.key === '*' ? '' : `${g.key}: `}${g.details.join('; ')}`,
  }));
}

const LIVE_CHANNEL = new Set(['ready', 'running']);

/** 360dialog channels in ready/running whose waba_account.external_id is not a Meta client WABA. */
async function unknownChannelWabas(db: Reader): Promise<Finding[]> {
  const wabas = new Set((await current(db, 'meta', 'waba')).flatMap((w) => [w.key, typeof w.data.id === 'string' ? w.data.id : w.key]));
  const findings: Finding[] = [];
  for (const channel of await current(db, 'dialog360', 'channel')) {
    const status = channel.data.status;
    if (typeof status !== 'string' || !LIVE_CHANNEL.has(status)) continue;
    const account = (channel.data.waba_account ?? {}) as { external_id?: unknown };
    const external = account.external_id === null || account.external_id === undefined ? null : String(account.external_id);
    if (external !== null && wabas.has(external)) continue;
    const setup = (channel.data.setup_info ?? {}) as { phone_number?: unknown; phone_name?: unknown };
    const label = [setup.phone_number, setup.phone_name].filter((v) => v !== null && v !== undefined && v !== '').map(String).join(' ');
    findings.push({
      check: 'channel_waba_unknown',
      key: channel.key,
      detail: `channel ${channel.key}${label ? ` (${label})` : ''}, status ${status}: ${external === null ? 'no waba_account.external_id' : `WABA ${external} is not among the Meta client WABAs`}`,
    });
  }
  return findings;
}
