/**
 * Pure: each onboarding's way from link to live number, as waba-sync observed it — created →
 * finished → its number in 99digital's numbers → the same digits on each other upstream that
 * offers phone numbers (Meta, 360dialog, when enabled) — with the time of each step and whether it
 * is stuck. The other upstreams come in as data (`PhoneSightings`), so nothing here knows them.
 */
import type { OnboardingTimeline } from './onboardings.js';

/** Where another upstream has phone numbers: its label and, per number's digits, when it first showed. */
export interface PhoneSightings {
  readonly label: string;
  readonly firstSeen: ReadonlyMap<string, string>;
}

export interface LifecycleStep {
  /** "created", "finished", "99digital number", then "on <upstream>". */
  readonly name: string;
  /** When it was reached, when known (a link finished before waba-sync watched has no time). */
  readonly at: string | null;
  readonly reached: boolean;
}

export type StuckReason = 'unfinished' | 'no_number';

export interface OnboardingLifecycle {
  readonly link: string;
  readonly number: string;
  readonly coexistence: boolean;
  readonly business: string | null;
  readonly reference: string | null;
  readonly createdAt: string;
  readonly steps: readonly LifecycleStep[];
  /** The last step reached in order. */
  readonly stage: string;
  readonly ageDays: number;
  readonly stuck: StuckReason | null;
  /** Why it is stuck, in words, with the link to resend for an unfinished one. */
  readonly stuckDetail: string | null;
}

export interface LifecycleSettings {
  readonly now: Date;
  readonly stuckDays: number;
  /** RECONCILE_GRACE_HOURS: a finished onboarding may miss from the numbers list this long. */
  readonly graceHours: number;
}

const DAY_MS = 86_400_000;

/** Digits only: upstreams write the same number as "+972 50-123 4567" or "972501234567". */
export function digitsOf(number: string): string {
  return number.replace(/\D/g, '');
}

/** The lifecycle of each onboarding 99digital lists now. */
export function onboardingLifecycles(
  timelines: readonly OnboardingTimeline[],
  listed: ReadonlyMap<string, string>,
  sightings: readonly PhoneSightings[],
  settings: LifecycleSettings,
): OnboardingLifecycle[] {
  return timelines.filter((t) => t.removedAt === null).map((t) => lifecycleOf(t, listed, sightings, settings));
}

export function lifecycleOf(t: OnboardingTimeline, listed: ReadonlyMap<string, string>, sightings: readonly PhoneSightings[], settings: LifecycleSettings): OnboardingLifecycle {
  const now = settings.now.getTime();
  const number = t.latest.number;
  const finished = t.latest.finished;
  // A finished link's number counts from then on: before, it is the link's temporary number.
  const listedAt = finished ? (listed.get(number) ?? null) : null;
  const steps: LifecycleStep[] = [
    { name: 'created', at: t.createdAt, reached: true },
    { name: 'finished', at: t.finishedAt, reached: finished },
    { name: '99digital number', at: listedAt, reached: listedAt !== null },
    ...sightings.map((s) => {
      const at = finished ? (s.firstSeen.get(digitsOf(number)) ?? null) : null;
      return { name: `on ${s.label}`, at, reached: at !== null };
    }),
  ];
  let stage = 'created';
  for (const step of steps) {
    if (!step.reached) break;
    stage = step.name;
  }
  const ageMs = now - Date.parse(t.createdAt);
  let stuck: StuckReason | null = null;
  let stuckDetail: string | null = null;
  if (!finished && ageMs > settings.stuckDays * DAY_MS) {
    stuck = 'unfinished';
    stuckDetail = `not finished ${Math.floor(ageMs / DAY_MS)} days after it was created (${day(t.createdAt)}); link to resend: ${t.link}`;
  } else if (finished && listedAt === null) {
    // Finished before waba-sync watched: counts from when it was first seen finished.
    const since = t.finishedAt ?? t.versions[0]!.validFrom;
    if (now - Date.parse(since) > settings.graceHours * 3_600_000) {
      stuck = 'no_number';
      stuckDetail = `finished by ${day(since)} but ${number} is not in 99digital's numbers`;
    }
  }
  return {
    link: t.link,
    number,
    coexistence: t.coexistence,
    business: t.business,
    reference: t.reference,
    createdAt: t.createdAt,
    steps,
    stage,
    ageDays: Math.max(0, Math.floor(ageMs / DAY_MS)),
    stuck,
    stuckDetail,
  };
}

function day(iso: string): string {
  return iso.slice(0, 10);
}
