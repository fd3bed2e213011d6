/**
 * Reconciliation checks on the data we already hold. Each upstream contributes its checks
 * (src/sources/<upstream>/checks.ts, listed by src/sources/registry.ts); this runs them, each
 * yielding findings keyed by (check, key), and `compareFindings` turns them into what is new and
 * what cleared since the last digest, so each finding is listed once when it appears and once when
 * it clears. A check that could not run (a source it reads not pulled completely yet, or not
 * enabled when it joins sources) leaves its open findings alone rather than declaring them cleared.
 */
import type { Kysely } from 'kysely';
import type { CheckFindingRow, Database } from '../../../db/schema.js';
import { allChecks, joinOffers } from '../../sources/registry.js';
import type { CheckContext, CurrentEntity, Finding, JoinName } from '../../sources/upstream.js';
import { lastCompleteRun } from '../../sync/ledger.js';

export type { Finding };
/** A finding's check id, e.g. `channel_waba_unknown`; its upstream gives it a title. */
export type CheckId = string;

export interface CheckResults {
  /** Checks that ran; only their open findings can clear. */
  readonly ran: ReadonlySet<CheckId>;
  readonly findings: readonly Finding[];
}

export interface CheckOptions {
  readonly now: Date;
  readonly graceHours: number;
  /** ONBOARDING_STUCK_DAYS (default 7 when a caller has no configuration). */
  readonly onboardingStuckDays?: number;
  /** Sources enabled in this configuration (a check joining sources needs each enabled). */
  readonly enabledSources: readonly string[];
}

type Reader = Kysely<Database>;

export async function runChecks(db: Reader, options: CheckOptions): Promise<CheckResults> {
  const ran = new Set<CheckId>();
  const findings: Finding[] = [];
  const latest = new Map<string, number | null>();
  const latestComplete = async (source: string) => {
    if (!latest.has(source)) latest.set(source, (await lastCompleteRun(db, source))?.id ?? null);
    return latest.get(source)!;
  };
  for (const check of allChecks()) {
    if (check.needsEnabled && !check.reads.every((source) => options.enabledSources.includes(source))) continue;
    const runIds: Record<string, number> = {};
    for (const source of check.reads) {
      const runId = await latestComplete(source);
      if (runId === null) break;
      runIds[source] = runId;
    }
    if (Object.keys(runIds).length < check.reads.length) continue;
    for (const id of Object.keys(check.titles)) ran.add(id);
    findings.push(...(await check.run(checkContext(db, options, runIds))));
  }
  return { ran, findings };
}

function checkContext(db: Reader, options: CheckOptions, runIds: Record<string, number>): CheckContext {
  return {
    db,
    now: options.now,
    graceHours: options.graceHours,
    onboardingStuckDays: options.onboardingStuckDays ?? 7,
    runIds,
    current: (source, kind) => current(db, source, kind),
    joined: async (source: string, join: JoinName) => {
      const values = new Set<string>();
      const offers = joinOffers(source, join);
      for (const offer of offers) {
        for (const entity of await current(db, source, offer.kind)) for (const value of offer.values(entity.key, entity.data)) values.add(value);
      }
      return { values, describes: offers.map((offer) => offer.describes).join(' and ') || `${source} ${join}` };
    },
  };
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

async function current(db: Reader, source: string, kind: string): Promise<CurrentEntity[]> {
  const rows = await db
    .selectFrom('entity_version')
    .select(['key', 'data'])
    .where('source', '=', source)
    .where('kind', '=', kind)
    .where('valid_to', 'is', null)
    .execute();
  return rows.map((row) => ({ key: row.key, data: JSON.parse(row.data) as Record<string, unknown> }));
}
