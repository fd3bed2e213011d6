/**
 * 99digital's reconciliation checks: a finished onboarding whose number never shows up in the
 * numbers list, and the counter checks its pulls record (src/sources/digital99/source.ts).
 */
import type { CheckContext, Finding, ReconcileCheck } from '../upstream.js';
import { SOURCE } from './client.js';
import { NUMBER, ONBOARDING } from './kinds.js';
import { lifecycleOf } from './lifecycle.js';
import { readOnboardingTimelines } from './onboardings.js';

/** Finished onboardings (status 1 for longer than the grace period) whose number is not listed. */
async function missingNumbers(ctx: CheckContext): Promise<Finding[]> {
  const { db } = ctx;
  const numbers = new Set((await ctx.current(SOURCE, NUMBER)).map((n) => n.key));
  const candidates = (await ctx.current(SOURCE, ONBOARDING)).filter(
    (o) => o.data.status === 1 && typeof o.data.whatsapp === 'string' && !numbers.has(o.data.whatsapp),
  );
  if (candidates.length === 0) return [];
  const history = await db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from'])
    .where('source', '=', SOURCE)
    .where('kind', '=', ONBOARDING)
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
  const deadline = ctx.now.getTime() - ctx.graceHours * 3_600_000;
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
async function counterFindings(ctx: CheckContext): Promise<Finding[]> {
  const runId = ctx.runIds[SOURCE]!;
  const rows = await ctx.db
    .selectFrom('data_check')
    .select(['check', 'key', 'detail'])
    .where('run_id', '=', runId)
    .where('check', 'in', ['counters_sum', 'totals_sum'])
    .orderBy('id')
    .execute();
  const grouped = new Map<string, { check: string; key: string; details: string[] }>();
  for (const row of rows) {
    const id = `${row.check}\u0000${row.key}`;
    const entry = grouped.get(id) ?? { check: row.check, key: row.key, details: [] };
    entry.details.push(row.detail);
    grouped.set(id, entry);
  }
  return [...grouped.values()].map((g) => ({
    check: g.check,
    key: g.key === '*' ? 'totals' : g.key,
    detail: `${g.key === '*' ? '' : `${g.key}: `}${g.details.join('; ')}`,
  }));
}

/**
 * Links still unfinished ONBOARDING_STUCK_DAYS after they were created, with the link to resend.
 * A finished one whose number is missing is `onboarding_number_missing`'s, so it is not repeated.
 */
async function stuckOnboardings(ctx: CheckContext): Promise<Finding[]> {
  const settings = { now: ctx.now, stuckDays: ctx.onboardingStuckDays, graceHours: ctx.graceHours };
  const findings: Finding[] = [];
  for (const timeline of await readOnboardingTimelines(ctx.db)) {
    if (timeline.removedAt !== null) continue;
    const lifecycle = lifecycleOf(timeline, new Map(), [], settings);
    if (lifecycle.stuck !== 'unfinished') continue;
    const business = [timeline.business, timeline.reference ? `reference ${timeline.reference}` : null].filter(Boolean).join(', ');
    findings.push({ check: 'onboarding_stuck', key: timeline.link, detail: `${lifecycle.number} (${business || 'no business name'}) ${lifecycle.stuckDetail}` });
  }
  return findings;
}

export const DIGITAL99_CHECKS: readonly ReconcileCheck[] = [
  {
    titles: { onboarding_number_missing: '99digital: finished onboarding whose number is not in the numbers list' },
    reads: [SOURCE],
    needsEnabled: false,
    run: missingNumbers,
  },
  {
    titles: {
      counters_sum: "99digital: a number's counters don't add up",
      totals_sum: "99digital: the totals don't match the numbers list",
    },
    reads: [SOURCE],
    needsEnabled: false,
    run: counterFindings,
  },
  {
    titles: { onboarding_stuck: '99digital: onboarding link not finished in time (resend the link)' },
    reads: [SOURCE],
    needsEnabled: false,
    run: stuckOnboardings,
  },
];
