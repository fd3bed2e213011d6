/**
 * `onboarding create | delete | list`: 99digital onboarding links, from creating one to following
 * it to a live number (seed 001, UPSTREAM.md §3a). Exit codes: 0 done, 1 the upstream refused (its
 * reason in words) or nothing was done, 2 usage — a bad field is named before any call is made.
 *
 * A 99digital-specific command by design, like `resolve-token` for Meta: it uses 99digital's
 * module directly. Creating records who asked (`onboarding_request`); the link's event comes
 * from the next pull like any other's.
 */
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { enabledSources } from '../config.js';
import { UpstreamError, UsageError, WabaSyncError } from '../errors.js';
import { phoneSightings } from '../onboarding/phone-sightings.js';
import { creators, recordCreated, recordDeleted } from '../onboarding/requests.js';
import { stripControlChars } from '../render/plain-text.js';
import { textTable } from '../render/text-table.js';
import { displayValue } from '../render/truncate.js';
import { SOURCE, digital99Client } from '../sources/digital99/client.js';
import { type OnboardingLifecycle, onboardingLifecycles } from '../sources/digital99/lifecycle.js';
import { type OnboardingLinkRequest, createOnboardingLink, deleteOnboardingLink, validateOnboardingLink } from '../sources/digital99/onboarding-link.js';
import { currentOnboardingOf, listedNumbersSince, readOnboardingTimelines } from '../sources/digital99/onboardings.js';
import type { App } from '../app.js';
import type { Config } from '../config.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, writeJsonLine, writeLine } from './io.js';

export interface CreateOptions extends OnboardingLinkRequest {
  readonly by?: string;
  readonly json?: boolean;
}

export async function onboardingCreateCommand(io: CliIo, options: CreateOptions): Promise<number> {
  const config = commandConfig(io);
  const digital99 = requireDigital99(config);
  const by = actor(io, options.by);
  const checked = validateOnboardingLink(options);
  if (!checked.ok) throw new UsageError(`onboarding create: nothing was sent to 99digital:\n${checked.problems.map((p) => `  - ${p}`).join('\n')}`);
  return withApp(io, config, async (app) => {
    const client = clientOf(app, digital99);
    let created: Awaited<ReturnType<typeof createOnboardingLink>>;
    try {
      created = await createOnboardingLink(client, digital99.createAccountPath, checked.body, { signal: io.signal });
    } catch (error) {
      if (!(error instanceof WabaSyncError)) throw error;
      // Only a createAccount request that got no readable answer leaves the outcome unknown.
      const unknown = error instanceof UpstreamError && error.call === 'createAccount' && (error.code === 'UNAVAILABLE' || error.code === 'PAYLOAD');
      const doubt = !unknown ? '' : '\nThe link may or may not have been created: the next sync shows it if it was (`onboarding list`); not sent again, so it is never created twice.';
      writeLine(io.stderr, `99digital did not create the link: ${app.scrubber.describe(error)}${doubt}`);
      return 1;
    }
    const at = app.clock().toISOString();
    await recordCreated(app.db, created, checked.body, by, at);
    if (options.json) {
      writeJsonLine(io.stdout, {
        number: created.whatsapp,
        temporary_number: created.coexistence ? created.whatsapp : null,
        onboarding_link: created.onboardingLink,
        landing_page: created.landingPage,
        coexistence: created.coexistence,
        reference: checked.body.reference ?? null,
        created_by: by,
        created_at: at,
      });
      return 0;
    }
    writeLine(io.stdout, `Created a 99digital onboarding link${created.coexistence ? ' (coexistence)' : ''} for ${created.whatsapp}.`);
    writeLine(io.stdout, `Onboarding link: ${created.onboardingLink}  (send it to the business owner)`);
    writeLine(io.stdout, `Landing page:    ${created.landingPage ?? 'none (99digital makes one when given --business-name, --business-address and --business-id)'}`);
    if (created.coexistence) writeLine(io.stdout, `Temporary number: ${created.whatsapp} (the client's own number replaces it when they finish)`);
    writeLine(io.stdout, `Recorded as created by ${by}; the next sync reports it as a new onboarding, and \`onboarding list\` follows it.`);
    return 0;
  });
}

export interface DeleteOptions {
  readonly yes?: boolean;
  readonly by?: string;
}

export async function onboardingDeleteCommand(io: CliIo, number: string, options: DeleteOptions): Promise<number> {
  const config = commandConfig(io);
  const digital99 = requireDigital99(config);
  const digits = number.trim().replace(/^\+/, '');
  if (!/^\d{6,20}$/.test(digits)) throw new UsageError(`onboarding delete: NUMBER: digits only (6 to 20), e.g. 972501234567, got ${JSON.stringify(number)}`);
  const by = actor(io, options.by);
  const interactive = Boolean(io.stdin && (io.stdin as { isTTY?: boolean }).isTTY && io.stderr.isTTY);
  if (!options.yes && !interactive) throw new UsageError('onboarding delete: deleting a link cannot be undone: add --yes when not run on a terminal');
  return withApp(io, config, async (app) => {
    // Our last pull first: a finished link can't be deleted, so don't ask 99digital at all.
    const known = await currentOnboardingOf(app.db, digits);
    if (known?.latest.finished) {
      writeLine(io.stderr, `Not deleted: the onboarding of ${digits} is finished (seen ${known.finishedAt ? `since ${known.finishedAt.slice(0, 16).replace('T', ' ')} UTC` : 'by the last pull'}), and 99digital never deletes a finished link.`);
      return 1;
    }
    if (!options.yes) {
      const what = known ? `${digits} (${[known.business, known.reference ? `reference ${known.reference}` : null].filter(Boolean).join(', ') || 'no business name'}, ${known.link})` : digits;
      if (!(await confirm(io, `Delete the unfinished onboarding link of ${what}? This cannot be undone. [y/N] `))) {
        writeLine(io.stderr, 'Not deleted.');
        return 1;
      }
    }
    try {
      await deleteOnboardingLink(clientOf(app, digital99), digits, { signal: io.signal });
    } catch (error) {
      if (!(error instanceof WabaSyncError)) throw error;
      writeLine(io.stderr, `99digital did not delete the link: ${app.scrubber.describe(error)}`);
      return 1;
    }
    await recordDeleted(app.db, digits, by, app.clock().toISOString());
    writeLine(io.stdout, `Deleted the onboarding link of ${digits}; the next sync reports it gone.`);
    return 0;
  });
}

export interface ListOptions {
  readonly stuck?: boolean;
  readonly json?: boolean;
}

export async function onboardingListCommand(io: CliIo, options: ListOptions): Promise<number> {
  const config = commandConfig(io);
  return withApp(io, config, async (app) => {
    const lifecycles = await readLifecycles(app);
    const made = await creators(app.db);
    const shown = options.stuck ? lifecycles.filter((l) => l.stuck) : lifecycles;
    if (options.json) {
      for (const l of shown) writeJsonLine(io.stdout, jsonOf(l, made.get(l.link)?.by ?? null));
      return 0;
    }
    if (shown.length === 0) {
      writeLine(io.stdout, options.stuck ? 'No stuck onboarding.' : 'No onboarding yet (or no complete 99digital pull).');
      return 0;
    }
    writeLine(
      io.stdout,
      textTable(
        ['NUMBER', 'BUSINESS', 'STAGE', 'AGE', 'STEPS', 'CREATED BY', 'STUCK'],
        shown.map((l) => [
          displayValue(l.number),
          displayValue(l.business ?? ''),
          l.stage,
          `${l.ageDays} d`,
          stepsText(l),
          displayValue(made.get(l.link)?.by ?? '-'),
          l.stuck ? displayValue(l.stuckDetail ?? l.stuck) : '',
        ]),
      ),
    );
    return 0;
  });
}

/** The lifecycle of every onboarding 99digital lists now, with the enabled upstreams' phone numbers. */
export async function readLifecycles(app: Pick<App, 'db' | 'config' | 'clock'>): Promise<OnboardingLifecycle[]> {
  const sightings = await phoneSightings(app.db, { except: SOURCE, enabled: enabledSources(app.config) });
  return onboardingLifecycles(await readOnboardingTimelines(app.db), await listedNumbersSince(app.db), sightings, {
    now: app.clock(),
    stuckDays: app.config.notify.onboardingStuckDays,
    graceHours: app.config.notify.reconcileGraceHours,
  });
}

/** Each reached step with its date and the days since the step before: "created 11-01, finished 11-03 (+2 d)". */
function stepsText(l: OnboardingLifecycle): string {
  const parts: string[] = [];
  let previous: string | null = null;
  for (const step of l.steps) {
    if (!step.reached) break;
    const gap = step.at && previous ? ` (+${Math.floor((Date.parse(step.at) - Date.parse(previous)) / 86_400_000)} d)` : '';
    parts.push(`${step.name} ${step.at ? step.at.slice(5, 10) : '?'}${gap}`);
    if (step.at) previous = step.at;
  }
  return parts.join(', ');
}

function jsonOf(l: OnboardingLifecycle, createdBy: string | null) {
  return {
    onboarding_link: l.link,
    number: l.number,
    coexistence: l.coexistence,
    business: l.business,
    reference: l.reference,
    created_at: l.createdAt,
    created_by: createdBy,
    stage: l.stage,
    age_days: l.ageDays,
    steps: l.steps,
    stuck: l.stuck,
    stuck_detail: l.stuckDetail,
  };
}

function requireDigital99(config: Config): NonNullable<Config['digital99']> {
  if (!config.digital99) throw new UsageError(`onboarding: 99digital is not enabled: ${config.disabledReasons.digital99}`);
  return config.digital99;
}

function clientOf(app: App, digital99: NonNullable<Config['digital99']>) {
  const client = digital99Client(app.clients, { ...digital99, ...app.config.http, clock: app.clock, scrubber: app.scrubber });
  client.beginPull();
  return client;
}

/** Who acts: --by, else the OS user (recorded, never a secret). */
function actor(io: CliIo, by: string | undefined): string {
  if (by !== undefined) {
    const clean = stripControlChars(by).trim();
    if (!clean || clean.length > 100) throw new UsageError('--by: expected a name of 1 to 100 characters');
    return clean;
  }
  try {
    return userInfo().username || io.env.USER || 'unknown';
  } catch {
    return io.env.USER || 'unknown';
  }
}

async function confirm(io: CliIo, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin!, output: io.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
