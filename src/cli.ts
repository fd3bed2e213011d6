#!/usr/bin/env node
/**
 * The command line: composition root for one-shot commands. `runCli` returns the exit code, so
 * tests run it in-process; the guard at the bottom makes this file the `npm run cli` entry point.
 */
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { databaseError, isDatabaseError } from '../db/database.js';
import { SOURCE_NAMES } from './config.js';
import { WabaSyncError } from './errors.js';
import { backupCommand } from './commands/backup.js';
import { digestCommand } from './commands/digest.js';
import { eventsCommand } from './commands/events.js';
import { migrateDataCommand } from './commands/migrate-data.js';
import { type CreateOptions, onboardingCreateCommand, onboardingDeleteCommand, onboardingListCommand } from './commands/onboarding.js';
import { reportCommand } from './commands/report.js';
import { type CliIo, writeLine } from './commands/io.js';
import { outboxCommand } from './commands/outbox.js';
import { pruneCommand } from './commands/prune.js';
import { resolveTokenCommand } from './commands/resolve-token.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { commandConfig } from './commands/context.js';
import { NODE_MEMORY_FLAGS } from './node-flags.js';
import { VERSION } from './version.js';
import { consoleCommand, consoleUserCommand } from './commands/console.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('waba-sync')
    .description('Keeps an exact, audited picture of a WhatsApp Business partner fleet (Meta, 360dialog, 99digital).')
    .version(VERSION, '-V, --version', "print waba-sync's version")
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .configureHelp({
      // List every option of every command on the top-level help, not just the command names.
      subcommandTerm: (cmd) => [cmd.name(), ...cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)), ...cmd.options.map((o) => (o.mandatory ? o.flags : `[${o.flags}]`))].join(' '),
    })
    .addHelpText(
      'after',
      '\nAlso: npm start (the daemon: schedules, /healthz, /metrics, the web console), npm run demo, npm run bench.\nSettings come from the environment or a .env file in the working directory (see .env.example).\nExit codes: 0 ok, 1 a selected source failed, 2 configuration or usage error.',
    );

  program
    .command('sync')
    .description('pull every enabled source once (or the one named), store what changed, print a summary')
    .addOption(new Option('--source <name>', 'pull only this source').choices([...SOURCE_NAMES]))
    .option('--incremental', 'incremental pull where the source supports it (Meta); others pull everything')
    .action(async (options: { source?: (typeof SOURCE_NAMES)[number]; incremental?: boolean }) => {
      setExit(await syncCommand(io, options));
    });

  program
    .command('events')
    .description('list detected events, oldest first')
    .option('--since <iso>', 'only events detected at or after this ISO 8601 date or time (UTC unless it names an offset)')
    .option('--type <type>', 'only this event type (a trailing ".*" matches a family, e.g. "onboarding.*")')
    .option('--json', 'one JSON object a line with id, type, source, key, at, run_id, before, after, changes')
    .action(async (options: { since?: string; type?: string; json?: boolean }) => {
      setExit(await eventsCommand(io, options));
    });

  program
    .command('status')
    .description('per source: last run and outcome, last complete (full) pull, failures since, entity counts; the outbox; the schedule')
    .action(async () => {
      setExit(await statusCommand(io));
    });

  program
    .command('digest')
    .description('email what changed since the last digest, with reconciliation findings; without options, show what it would hold')
    .option('--send', 'queue the digest (its events are then covered) and send it to DIGEST_TO')
    .option('--preview <dir>', 'write the email (.eml, .html, .txt, CSV) to DIR without sending or marking anything')
    .action(async (options: { send?: boolean; preview?: string }) => {
      setExit(await digestCommand(io, options));
    });

  program
    .command('outbox')
    .description('emails waiting to be sent or failed, with their last error, and the latest sent; event deliveries per subscription (EVENT_WEBHOOK_<NAME>_URL, CHAT_WEBHOOK_URL) with attempts and last error')
    .option('--send', 'first send every pending email now, even one waiting out a retry delay (e.g. after a mail outage), and deliver the events that are due')
    .action(async (options: { send?: boolean }) => {
      setExit(await outboxCommand(io, options));
    });

  program
    .command('report')
    .description('the monthly conversation report (99digital counters): prints a text summary, or writes files (--out), or emails REPORT_TO (--send)')
    .requiredOption('--month <YYYY-MM>', 'the month, in TIMEZONE; the current month is reported month to date')
    .option('--out <dir>', 'create DIR and write report.html, report.txt, report.csv, onboarding.csv and the chart PNGs')
    .option('--send', 'queue the email for each REPORT_TO recipient, once per month and recipient')
    .option('--force', 'with --send: send it again even if it was sent')
    .action(async (options: { month: string; out?: string; send?: boolean; force?: boolean }) => {
      setExit(await reportCommand(io, options));
    });

  program
    .command('resolve-token')
    .description('Meta: the WABA ids an Embedded Signup token grants (newest first) and whether each is already known; exit 1 when the token is invalid')
    .argument('<token>', 'the token returned by Embedded Signup (never printed); "-" reads it from standard input')
    .action(async (token: string) => {
      setExit(await resolveTokenCommand(io, token));
    });

  program
    .command('migrate-data')
    .description('copy a SQLite database into an empty PostgreSQL one and verify it (row counts, checksums); exit 1 when they differ')
    .requiredOption('--from <file>', 'the SQLite file (opened read-only, never written)')
    .requiredOption('--to <url>', 'the PostgreSQL database, postgres://user:password@host:port/database; must be empty')
    .option('--verify-only', 'copy nothing: only compare the target with the source')
    .action(async (options: { from: string; to: string; verifyOnly?: boolean }) => {
      setExit(await migrateDataCommand(io, options));
    });

  const onboarding = program
    .command('onboarding')
    .description('99digital onboarding links: create one, delete an unfinished one, follow each to a live number (docs/onboarding.md)');
  onboarding
    .command('create')
    .description('create a 99digital onboarding link; every field is checked first (a bad one is named, nothing sent); exit 1 when 99digital refuses')
    .option('--number <digits>', 'a registered, verified number of the account, e.g. 972501234567')
    .option('--coexistence', "instead of --number: a link for a WhatsApp Business app number (99digital lends a temporary 97257… number until the client finishes)")
    .option('--business-name <text>', 'required: the official business name (≤ 100; letters, numbers, spaces, hyphens)')
    .option('--display-name <text>', "required: the WhatsApp display name (≤ 50; letters, numbers, spaces, hyphens; can't be changed later)")
    .option('--business-email <email>', 'helps the client create a Facebook business (≤ 200)')
    .option('--business-id <digits>', 'the business id (digits, ≤ 20)')
    .option('--business-address <text>', 'the full address (≤ 300); with the name and id, 99digital makes a landing page')
    .option('--reference <text>', 'your own reference for the client (≤ 50; letters, numbers, spaces, hyphens)')
    .option('--logo <https-url>', 'a logo for this link instead of the account default (https, ≤ 1000; 200x60 png/jpg)')
    .option('--message <text>', 'a welcome text for this link (≤ 200; letters, numbers, spaces, hyphens)')
    .option('--basic-templates', 'have 99digital submit its 3 Hebrew basic templates when the client finishes')
    .option('--by <name>', 'who is creating it, recorded with the link (default: the OS user)')
    .option('--json', 'print the result as one JSON object')
    .action(async (options: CreateOptions) => {
      setExit(await onboardingCreateCommand(io, options));
    });
  onboarding
    .command('delete')
    .description("delete an unfinished link (irreversible); refused without a call when the last pull saw it finished; asks on a terminal")
    .argument('<number>', "the link's number (a coexistence link's temporary number while unfinished)")
    .option('--yes', 'do not ask (required when not on a terminal)')
    .option('--by <name>', 'who is deleting it, recorded (default: the OS user)')
    .action(async (number: string, options: { yes?: boolean; by?: string }) => {
      setExit(await onboardingDeleteCommand(io, number, options));
    });
  onboarding
    .command('list')
    .description('each onboarding 99digital lists, with its stage (created → finished → 99digital number → on Meta → on 360dialog) and age')
    .option('--stuck', 'only those unfinished after ONBOARDING_STUCK_DAYS, or finished with no number after RECONCILE_GRACE_HOURS')
    .option('--json', 'one JSON object a line')
    .action(async (options: { stuck?: boolean; json?: boolean }) => {
      setExit(await onboardingListCommand(io, options));
    });

  program
    .command('backup')
    .description('SQLite: write a consistent copy of the database to FILE while the daemon runs, verified with integrity_check (PostgreSQL: use pg_dump, exit 2)')
    .argument('<file>', 'the copy to create (never overwritten; created 0600)')
    .action(async (file: string) => {
      setExit(await backupCommand(io, file));
    });

  program
    .command('prune')
    .description('delete history older than RETAIN_EVENTS_DAYS, RETAIN_HISTORY_DAYS, RETAIN_RUNS_DAYS, RETAIN_SENT_MAIL_DAYS (unset: kept), never current state or what is still to be mailed or reported; prints per table what went')
    .option('--dry-run', 'only count, per table, what would be deleted')
    .action(async (options: { dryRun?: boolean }) => {
      setExit(await pruneCommand(io, options));
    });

  program
    .command('console')
    .description('serve the web console (and /healthz, /metrics) on HTTP_HOST:HTTP_PORT without the daemon; needs CONSOLE_USERS (docs/console.md)')
    .action(async () => {
      setExit(await consoleCommand(io));
    });
  program
    .command('console-user')
    .description('read a password (at least 12 characters) from standard input and print the CONSOLE_USERS entry NAME:scrypt.… for it')
    .argument('<name>', 'the user name (letters, digits, . _ @ -)')
    .action(async (name: string) => {
      setExit(await consoleUserCommand(io, name));
    });

  return program;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof WabaSyncError && (error.code === 'CONFIG' || error.code === 'USAGE')) {
      writeLine(io.stderr, error.message);
      return EXIT_USAGE;
    }
    if (isDatabaseError(error)) {
      // The database failed after it opened (made read-only, disk full, damaged): say which one.
      writeLine(io.stderr, `waba-sync: ${databaseError(configuredDatabasePath(io), 'failed', error).message}`);
      return EXIT_FAILED;
    }
    writeLine(io.stderr, `waba-sync: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT_FAILED;
  }
}

/**
 * A reader that stops early (`status | head -1`) closes our standard output: the rest of the
 * output has nowhere to go, which is what the reader asked for. Further writes are dropped and the
 * command ends as it would have (its own exit code, 0 for a listing) instead of dying with an
 * EPIPE stack trace — and a sync still records its alerts after its summary went unread.
 */
function dropOutputOnClosedPipe(stream: NodeJS.WritableStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
}

/** DATABASE_URL as the command read it, for an error message. */
function configuredDatabasePath(io: CliIo): string {
  try {
    return commandConfig(io).databasePath;
  } catch {
    return io.env.DATABASE_URL ?? '(DATABASE_URL)';
  }
}

/**
 * `npx waba-sync` / the installed `waba-sync` start plain `node` (the shebang can't portably carry
 * options): when node got no options at all, run this file again under the memory flags `npm run
 * cli` passes (src/node-flags.ts), with the same arguments, standard streams and exit code,
 * forwarding a stop signal. A process started with options of its own (npm run cli, a loader, the
 * child itself) runs the command as it is. The child is tied to us by an IPC channel: if we are
 * killed outright, it stops as on SIGTERM instead of running on orphaned.
 */
function relaunchWithMemoryFlags(script: string): boolean {
  if (process.execArgv.length > 0) return false;
  const child = spawn(process.execPath, [...NODE_MEMORY_FLAGS, '--enable-source-maps', script, ...process.argv.slice(2)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143);
  });
  return true;
}

/** Whether this module is the program node started, also through a symlink (node_modules/.bin/waba-sync). */
function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint() && !relaunchWithMemoryFlags(realpathSync(process.argv[1]!))) {
  dropOutputOnClosedPipe(process.stdout);
  dropOutputOnClosedPipe(process.stderr);
  const controller = new AbortController();
  const stop = () => controller.abort();
  if (process.channel) {
    // Relaunched by the waba-sync command: its end (even killed outright) stops us like a signal.
    process.channel.unref();
    process.once('disconnect', stop);
    // Ctrl-C reaches us twice, from the terminal and forwarded by the launcher: only a signal
    // more than a second after the first means "stop now" (as in the daemon).
    let firstSignalAt: number | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      if (firstSignalAt === null) {
        firstSignalAt = Date.now();
        stop();
      } else if (Date.now() - firstSignalAt > 1_000) {
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  } else {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
  const code = await runCli(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
  });
  process.exitCode = code;
}
