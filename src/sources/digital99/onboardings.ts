/**
 * 99digital's onboardings as their stored history tells them, in our words (no upstream field
 * name leaves this file): when each link was created, when a pull first saw it finished, when it
 * vanished, and which numbers 99digital lists since when. Read by `onboarding list`, the stuck
 * check and the monthly report's onboarding section. A stored record that does not parse names
 * its kind, key and field.
 */
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.js';
import { WabaSyncError } from '../../errors.js';
import { SOURCE } from './client.js';
import { NUMBER, ONBOARDING } from './kinds.js';

type Reader = Kysely<Database>;

/** One stored version of an onboarding. */
export interface OnboardingVersion {
  /** The number it shows: for an unfinished coexistence link, the temporary one. */
  readonly number: string;
  readonly finished: boolean;
  readonly validFrom: string;
  readonly validTo: string | null;
}

/** One onboarding link over time. */
export interface OnboardingTimeline {
  /** The link itself: it identifies the onboarding (a coexistence link changes its number). */
  readonly link: string;
  readonly coexistence: boolean;
  readonly business: string | null;
  readonly displayName: string | null;
  readonly reference: string | null;
  /**
   * When it was created: 99digital's own creation time when it gives one, else when a pull first
   * saw the link.
   */
  readonly createdAt: string;
  /** When a pull first saw it finished; null when unfinished, or finished before waba-sync watched (the first pull). */
  readonly finishedAt: string | null;
  /** When it vanished from the list (a deleted link, if it was unfinished); null while listed. */
  readonly removedAt: string | null;
  readonly versions: readonly OnboardingVersion[];
  /** The latest version (the current one while it is listed). */
  readonly latest: OnboardingVersion;
}

const storedOnboarding = z.object({
  whatsapp: z.string(),
  status: z.union([z.literal(0), z.literal(1)]),
  coexistence: z.union([z.literal(0), z.literal(1)]).optional(),
  create_time: z.number().int().nullable().optional(),
  business_name: z.string().nullable().optional(),
  display_name: z.string().nullable().optional(),
  reference: z.string().nullable().optional(),
});
type StoredOnboarding = z.infer<typeof storedOnboarding>;

function parseOnboarding(key: string, data: string): StoredOnboarding {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new WabaSyncError('INCONSISTENT', `stored digital99 ${ONBOARDING} ${key}: not valid JSON`);
  }
  const parsed = storedOnboarding.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WabaSyncError('INCONSISTENT', `stored digital99 ${ONBOARDING} ${key}: field ${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Every onboarding ever stored, oldest creation first. */
export async function readOnboardingTimelines(db: Reader): Promise<OnboardingTimeline[]> {
  const rows = await db
    .selectFrom('entity_version')
    .select(['key', 'data', 'valid_from', 'valid_to', 'run_from'])
    .where('source', '=', SOURCE)
    .where('kind', '=', ONBOARDING)
    .orderBy('key')
    .orderBy('valid_from')
    .execute();
  // The first pull saw whatever was already there: a link finished by then finished at an unknown time.
  const baselineRun = rows.reduce((min, row) => Math.min(min, row.run_from), Number.POSITIVE_INFINITY);
  const byKey = new Map<string, typeof rows>();
  for (const row of rows) (byKey.get(row.key) ?? byKey.set(row.key, []).get(row.key)!).push(row);

  const timelines: OnboardingTimeline[] = [];
  for (const [key, history] of byKey) {
    const parsed = history.map((row) => parseOnboarding(key, row.data));
    const versions = history.map((row, i) => ({ number: parsed[i]!.whatsapp, finished: parsed[i]!.status === 1, validFrom: row.valid_from, validTo: row.valid_to }));
    const latestData = parsed[parsed.length - 1]!;
    const latest = versions[versions.length - 1]!;
    const firstFinished = versions.findIndex((v) => v.finished);
    const finishedUnseen = firstFinished === 0 && history[0]!.run_from === baselineRun;
    const createTime = parsed.find((p) => typeof p.create_time === 'number' && p.create_time > 0)?.create_time;
    timelines.push({
      link: key,
      coexistence: latestData.coexistence === 1,
      business: latestData.business_name || null,
      displayName: latestData.display_name || null,
      reference: latestData.reference || null,
      createdAt: createTime ? new Date(createTime * 1000).toISOString() : history[0]!.valid_from,
      finishedAt: firstFinished < 0 || finishedUnseen ? null : versions[firstFinished]!.validFrom,
      removedAt: latest.validTo,
      versions,
      latest,
    });
  }
  return timelines.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.link < b.link ? -1 : 1));
}

/** The onboarding currently listed with this number (the temporary one for an open coexistence link), if any. */
export async function currentOnboardingOf(db: Reader, number: string): Promise<OnboardingTimeline | undefined> {
  return (await readOnboardingTimelines(db)).find((t) => t.removedAt === null && t.latest.number === number);
}

/** The numbers 99digital lists now, each with when a pull first listed it. */
export async function listedNumbersSince(db: Reader): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('entity_version')
    .select(['key', 'valid_from', 'valid_to'])
    .where('source', '=', SOURCE)
    .where('kind', '=', NUMBER)
    .orderBy('key')
    .orderBy('valid_from')
    .execute();
  const first = new Map<string, string>();
  const current = new Set<string>();
  for (const row of rows) {
    if (!first.has(row.key)) first.set(row.key, row.valid_from);
    if (row.valid_to === null) current.add(row.key);
  }
  return new Map([...first].filter(([key]) => current.has(key)));
}
