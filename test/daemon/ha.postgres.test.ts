/**
 * High availability: two real daemon processes (the compiled build, as production runs it) on one
 * PostgreSQL database, with second-level schedules, the 99digital simulator and the real SMTP peer.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/query.js';
import { type Digital99Harness, digital99Harness } from '../helpers/digital99.js';
import { startSmtp } from '../helpers/smtp.js';
import { until } from '../helpers/wait.js';

interface Daemon {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  /** The JSON log lines it wrote so far. */
  lines(): Record<string, unknown>[];
}

const daemons: Daemon[] = [];
afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    daemon.child.kill('SIGKILL');
    await daemon.exited;
  }
});

function startDaemon(env: NodeJS.ProcessEnv): Daemon {
  const child = spawn(process.execPath, ['dist/src/daemon.js'], { env: { ...process.env, HTTP_PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const daemon: Daemon = {
    child,
    exited,
    lines: () =>
      stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
  daemons.push(daemon);
  return daemon;
}

const finished = (daemons: Daemon[], job: string, reason: 'scheduled' | 'catch-up') =>
  daemons.flatMap((d) => d.lines()).filter((line) => line.msg === `${job} finished` && line.reason === reason);

const until60s = (condition: () => boolean | Promise<boolean>, what: string) => until(condition, what, 2_400);

/** A time in the month before the current one (UTC), so a pull then lets last month's report go out. */
function lastMonth(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15, 8));
}

async function stopAll(): Promise<void> {
  for (const daemon of daemons) daemon.child.kill('SIGTERM');
  await Promise.all(daemons.map((daemon) => daemon.exited));
}

async function runsSince(h: Digital99Harness, since: string) {
  return h.app.db.selectFrom('sync_run').select(['id', 'mode', 'outcome', 'error_code', 'started_at']).where('started_at', '>=', since).orderBy('id').execute();
}

describe('two daemons on one PostgreSQL database', () => {
  it('run every scheduled pull, the start-up catch-up, one digest and one report exactly once', { timeout: 90_000 }, async () => {
    const smtp = await startSmtp();
    const h = await digital99Harness();
    h.clock.set(lastMonth());
    expect((await h.sync()).outcome).toBe('complete'); // history to digest and report on
    const started = new Date().toISOString();
    const env = {
      ...h.env,
      ...smtp.env,
      MAIL_FROM: 'waba-sync <noreply@example.com>',
      DIGEST_TO: 'ops@example.com',
      REPORT_TO: 'boss@example.com',
      SYNC_CRON: '*/2 * * * * *',
      // Daily: the pull of last month is older than that, so catch-up is due — once for both.
      FULL_SYNC_CRON: '0 0 3 * * *',
      DIGEST_CRON: '*/3 * * * * *',
      REPORT_CRON: '*/3 * * * * *',
    };
    const both = [startDaemon(env), startDaemon(env)];

    const mailsTo = (address: string) => smtp.mails.filter((mail) => mail.envelopeTo.includes(address));
    await until60s(
      () => finished(both, 'sync-incremental', 'scheduled').length >= 5 && finished(both, 'report', 'scheduled').length >= 2 && finished(both, 'digest', 'scheduled').length >= 2,
      'five scheduled pulls, two scheduled digests and reports',
    );
    await stopAll();

    // Each firing ran in one daemon; both fired every slot, so the other skipped it.
    for (const job of ['sync-incremental', 'digest', 'report']) {
      const slots = finished(both, job, 'scheduled').map((line) => line.slot);
      expect(new Set(slots).size, job).toBe(slots.length);
    }
    const skipped = both.flatMap((daemon) => daemon.lines()).filter((line) => String(line.msg).endsWith('skipped: another daemon runs this firing'));
    expect(skipped.length).toBeGreaterThanOrEqual(5);
    // Every pull the two ran is in the ledger once, complete: none failed on the other's lease.
    const pulls = [...finished(both, 'sync-incremental', 'scheduled'), ...finished(both, 'sync-full', 'catch-up')].filter((line) => line.digital99 === 'complete').length;
    expect(pulls).toBeGreaterThanOrEqual(5);
    const runs = await runsSince(h, started);
    expect(runs.map((run) => run.outcome)).toEqual(Array(pulls).fill('complete'));
    expect(finished(both, 'sync-full', 'catch-up')).toHaveLength(1);
    // One digest of the history, one report of last month: over SMTP, and in the outbox.
    expect(mailsTo('ops@example.com')).toHaveLength(1);
    expect(mailsTo('boss@example.com')).toHaveLength(1);
    const outbox = await h.app.db.selectFrom('outbox').select(['idempotency_key', 'status']).orderBy('id').execute();
    expect(outbox.filter((row) => row.status !== 'sent')).toEqual([]);
    expect(outbox).toHaveLength(2);
  });

  it('SIGKILL of the daemon in the middle of a pull: the other completes that source within 60 s, every event once', { timeout: 120_000 }, async () => {
    const h = await digital99Harness();
    h.clock.set(new Date(Date.now() - 2 * 86_400_000));
    expect((await h.sync()).outcome).toBe('complete'); // two days old: the daily full pull is due at start
    const pending = h.world.addOnboarding();
    h.world.finishOnboarding(pending.onboarding_link); // the next pull finds a new number
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 600_000 }); // once: only the first daemon's pull hangs
    const started = new Date().toISOString();
    // No firing within the test: only the start-up catch-up pulls, and only a takeover can finish it.
    const env = { ...h.env, SYNC_CRON: '0 0 1 1 *', FULL_SYNC_CRON: '0 0 3 * * *' };
    const both = [startDaemon(env), startDaemon(env)];

    await until60s(() => h.world.calls.getWhatsApp === 2, "a daemon's catch-up pull waiting on the slow numbers list");
    const lease = await h.app.db.selectFrom('lease').select('holder').where('name', '=', 'sync:digital99').executeTakeFirstOrThrow();
    const holder = both.find((daemon) => lease.holder.split(':')[1] === String(daemon.child.pid))!;
    expect(holder).toBeDefined();
    holder.child.kill('SIGKILL');
    await holder.exited;

    const completed = async () => (await runsSince(h, started)).filter((run) => run.outcome === 'complete').length;
    await until60s(async () => (await completed()) >= 1, 'the other daemon to complete the pull');
    const survivor = both.find((daemon) => daemon !== holder)!;
    // The survivor finished it either by taking it over, or — when it started so late (a loaded
    // machine) that the holder was already gone — by running the fleet's catch-up itself.
    // Its job logs that after the pull's commit (alerts and the outbox come first): wait for the line.
    const tookOver = () => survivor.lines().some((line) => line.msg === 'digital99: taking over a pull left running by a process that is gone');
    const caughtUp = () => finished([survivor], 'sync-full', 'catch-up').some((line) => line.digital99 === 'complete');
    await until60s(() => tookOver() || caughtUp(), 'the survivor to say how it completed the pull');
    await stopAll();

    const runs = await runsSince(h, started);
    expect(runs.map((run) => [run.outcome, run.error_code])).toEqual([
      ['failed', 'INTERRUPTED'], // the killed daemon's, closed by the other
      ['complete', null],
    ]);
    expect((await listEvents(h.app.db)).map((event) => event.type)).toEqual(['sync.baseline', 'onboarding.created', 'number.added']);
  });
});
