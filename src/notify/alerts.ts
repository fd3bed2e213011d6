/**
 * Alerts, evaluated after sync runs from the ledger (sync_run): once per episode, a source whose
 * pulls of one mode failed N times in a row, or at once a dead credential (AUTH, BLOCKED); then one
 * recovery email when that mode completes again. Counted per (source, mode): Meta's full pulls
 * (the only ones that notice unshares and phone-number changes) can fail for good while its
 * 15-minute incremental pulls complete, and those completions must neither hide nor "recover"
 * the full pulls' failures. The episode's state and its email commit in one transaction, and
 * every email's idempotency key names the episode, so re-evaluating never sends twice.
 */
import type { Transaction } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../../db/database.js';
import { retryOnConflict } from '../../db/retry.js';
import { serializeOn } from '../../db/serialize.js';
import type { AlertEpisodeRow, Database, RunMode, SyncRunRow } from '../../db/schema.js';
import { secretVariablesOf } from '../sources/registry.js';
import type { OutgoingEmail } from './email.js';
import { escapeHtml, htmlDocument, htmlTable } from '../render/html.js';
import { enqueueEmail } from './outbox.js';
import type { ErrorCode } from '../errors.js';
import type { SecretScrubber } from '../secrets.js';
import { stripControlChars } from '../render/plain-text.js';
import { failuresBetween, failuresSinceLastComplete, previousCompleteRun } from '../sync/ledger.js';

export interface AlertPolicy {
  /** Consecutive failed pulls that make an episode. */
  readonly afterFailures: number;
  readonly to: readonly string[];
  readonly sources: readonly string[];
  /** Cuts known secrets out of the ledger's error text (stored scrubbed already; this covers older rows). */
  readonly scrubber?: SecretScrubber;
}

export type AlertKind = 'failing' | 'credential' | 'recovered';

export interface AlertDecision {
  readonly source: string;
  readonly mode: RunMode;
  readonly kind: AlertKind;
  readonly email: OutgoingEmail;
  /** False when an identical alert had been queued already. */
  readonly queued: boolean;
}

/** Error codes that mean "replace the credentials": retrying will not help. */
const CREDENTIAL_CODES: ReadonlySet<string> = new Set<ErrorCode>(['AUTH', 'BLOCKED']);
const MODES: readonly RunMode[] = ['full', 'incremental'];

export async function evaluateAlerts(db: Db, now: Date, policy: AlertPolicy): Promise<AlertDecision[]> {
  if (policy.to.length === 0) return [];
  const decisions: AlertDecision[] = [];
  for (const source of policy.sources) {
    for (const mode of MODES) {
      decisions.push(
        // READ COMMITTED, serialized per source and mode: a concurrent evaluation (another daemon,
        // a one-shot sync) waits, then sees our episode and queued emails.
        ...(await retryOnConflict(() => db.transaction().execute(async (trx) => {
          await serializeOn(trx, `alerts:${source}:${mode}`);
          // SQLite: a write first holds the write lock, to the same effect.
          await trx.updateTable('alert_episode').set({ updated_at: sql`updated_at` }).where('source', '=', source).where(sql<boolean>`1 = 0`).execute();
          return evaluateSourceMode(trx, { source, mode }, now, policy);
        }))),
      );
    }
  }
  return decisions;
}

/** The runs of one source in one mode: what an episode counts. */
interface Pulls {
  readonly source: string;
  readonly mode: RunMode;
}

async function evaluateSourceMode(trx: Transaction<Database>, pulls: Pulls, now: Date, policy: AlertPolicy): Promise<AlertDecision[]> {
  const { source, mode } = pulls;
  const at = now.toISOString();
  const decisions: AlertDecision[] = [];
  const queue = async (kind: AlertKind, email: OutgoingEmail) => {
    decisions.push({ source, mode, kind, email, queued: await enqueueEmail(trx, { ...email, to: policy.to }, now) });
  };
  const thisEpisode = () => trx.selectFrom('alert_episode').where('source', '=', source).where('mode', '=', mode);
  let episode: AlertEpisodeRow | null = (await thisEpisode().selectAll().executeTakeFirst()) ?? null;
  const since = await failuresSinceLastComplete(trx, source, mode);
  const lastComplete = since.lastComplete ?? null;

  if (episode && lastComplete && lastComplete.id > episode.opened_run_id) {
    const before = await previousCompleteRun(trx, source, lastComplete.id, mode);
    const failures = await failuresBetween(trx, source, { afterId: before?.id ?? 0, beforeId: lastComplete.id }, mode);
    await queue('recovered', recoveryEmail(pulls, episode, lastComplete, failures.length));
    await trx.deleteFrom('alert_episode').where('source', '=', source).where('mode', '=', mode).execute();
    episode = null;
  }

  const failures = since.failures.map((run) => mailableRun(run, policy.scrubber));
  if (failures.length === 0) return decisions;
  const credentialFailure = failures.find((run) => CREDENTIAL_CODES.has(run.error_code ?? ''));

  if (!episode) {
    if (credentialFailure) {
      const opened = { source, mode, kind: 'credential' as const, opened_run_id: credentialFailure.id, opened_at: at, updated_at: at };
      await trx.insertInto('alert_episode').values(opened).execute();
      await queue('credential', credentialEmail(pulls, opened, credentialFailure, failures, lastComplete));
    } else if (failures.length >= policy.afterFailures) {
      const latest = failures[failures.length - 1]!;
      const opened = { source, mode, kind: 'failing' as const, opened_run_id: latest.id, opened_at: at, updated_at: at };
      await trx.insertInto('alert_episode').values(opened).execute();
      await queue('failing', failingEmail(pulls, opened, latest, failures, lastComplete));
    }
  } else if (episode.kind === 'failing' && credentialFailure) {
    // Failing for a while, and now the upstream rejects our credentials: worth one more email.
    await trx.updateTable('alert_episode').set({ kind: 'credential', updated_at: at }).where('source', '=', source).where('mode', '=', mode).execute();
    await queue('credential', credentialEmail(pulls, episode, credentialFailure, failures, lastComplete));
  }
  return decisions;
}

/** The run with its error fit for an email: no known secret, no control character (the text part is read in terminals). */
function mailableRun(run: SyncRunRow, scrubber: SecretScrubber | undefined): SyncRunRow {
  if (run.error === null) return run;
  return { ...run, error: stripControlChars(scrubber ? scrubber.scrub(run.error) : run.error, { keepNewlines: true }) };
}



type Episode = Pick<AlertEpisodeRow, 'source' | 'opened_run_id'>;

function credentialEmail({ source, mode }: Pulls, episode: Episode, failure: SyncRunRow, failures: SyncRunRow[], lastComplete: SyncRunRow | null): OutgoingEmail {
  const blocked = failure.error_code === 'BLOCKED';
  const what = blocked ? 'the upstream blocked us' : 'credentials rejected';
  // Each upstream names its secrets (src/sources/<upstream>/config.ts).
  const variables = secretVariablesOf(source) ?? 'the credentials';
  return alertEmail(`alert:${source}:${episode.opened_run_id}:credential`, `[waba-sync] ${source}: ${what} (${mode} pulls)`, {
    headline: `${source}: ${what} (${failure.error_code}) in ${mode} pull #${failure.id} at ${failure.finished_at ?? failure.started_at}.`,
    advice: [
      blocked
        ? `Fix ${variables} first, then ask the provider to lift the block; pulls will keep failing until then.`
        : `Replace ${variables}; retrying will not help.`,
      `You will get one more email when a ${mode} pull of the source completes again.`,
    ],
    facts: facts(failure, failures, lastComplete),
  });
}

function failingEmail({ source, mode }: Pulls, episode: Episode, latest: SyncRunRow, failures: SyncRunRow[], lastComplete: SyncRunRow | null): OutgoingEmail {
  return alertEmail(`alert:${source}:${episode.opened_run_id}:failing`, `[waba-sync] ${source} ${mode} pulls failed ${failures.length} times in a row`, {
    headline: `${source}: ${failures.length} ${mode} pulls failed in a row, the first at ${failures[0]!.started_at}.`,
    advice: [
      mode === 'full'
        ? 'What only a full pull notices (removals, unshared WABAs, phone numbers) goes undetected, and nothing is taken as deleted, until a full pull completes.'
        : 'Recent changes from this source are not picked up between full pulls until an incremental pull completes.',
      `You will get one more email when a ${mode} pull completes again.`,
    ],
    facts: facts(latest, failures, lastComplete),
  });
}

function recoveryEmail({ source, mode }: Pulls, episode: AlertEpisodeRow, complete: SyncRunRow, failed: number): OutgoingEmail {
  return alertEmail(`alert:${source}:${episode.opened_run_id}:recovered`, `[waba-sync] ${source} ${mode} pulls recovered`, {
    headline: `${source} completed a ${mode} pull again: #${complete.id} at ${complete.finished_at ?? complete.started_at}.`,
    advice: [],
    facts: [
      ['Failed pulls before it', String(failed)],
      ['First alerted at', episode.opened_at],
    ],
  });
}

function facts(latest: SyncRunRow, failures: SyncRunRow[], lastComplete: SyncRunRow | null): [string, string][] {
  return [
    ['Last error', latest.error ?? '(none recorded)'],
    [`Failed ${latest.mode} pulls since the last complete one`, String(failures.length)],
    [`Last complete ${latest.mode} pull`, lastComplete?.finished_at ?? 'never'],
  ];
}

interface AlertBody {
  readonly headline: string;
  readonly advice: readonly string[];
  /** Ledger values; error messages may quote upstream text, so they are escaped like any other. */
  readonly facts: readonly [string, string][];
}

function alertEmail(idempotencyKey: string, subject: string, body: AlertBody): OutgoingEmail {
  const text = [body.headline, ...body.advice, '', ...body.facts.map(([label, value]) => `${label}: ${value}`)].join('\n');
  const html = htmlDocument(
    subject,
    [
      `<p style="font-size:15px"><strong>${escapeHtml(body.headline)}</strong></p>`,
      ...body.advice.map((line) => `<p>${escapeHtml(line)}</p>`),
      htmlTable(['What', 'Value'], body.facts),
    ].join('\n'),
  );
  return { idempotencyKey, to: [], subject, text: `${text}\n`, html };
}
