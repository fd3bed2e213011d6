/**
 * The daemon and a PostgreSQL server that goes away: the real daemon (`node dist/src/daemon.js`)
 * on second-level schedules against the 99digital simulator, and a PostgreSQL server of this file's
 * own (not the shared test server, which other tests use) that the test stops and starts again.
 * While the server is down the daemon stays up and /healthz answers 503 naming the database
 * (password masked); when it is back the daemon recovers by itself: the pull the outage cut off is
 * recorded as INTERRUPTED, never complete, and every event appears exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskDatabaseUrl } from '../../db/url.js';
import { cli } from '../helpers/cli.js';
import { type Digital99Harness, digital99Harness } from '../helpers/digital99.js';
import { withDatabase } from '../helpers/postgres.js';
import { type PostgresServer, startPostgresServer } from '../../src/bench/embedded-postgres.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/wait.js';

const PASSWORD = `Outage-pw-${randomBytes(6).toString('hex')}`;
/** `until` polls every 25 ms: this many tries is a minute, for steps that wait on a server restart. */
const MINUTE = 2_400;

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgresServer({ port: await freePort(), password: PASSWORD });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

let databases = 0;

/** A new, empty database on this file's server. */
async function createDatabase(): Promise<string> {
  databases += 1;
  const name = `outage_${process.pid}_${databases}`;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
  return withDatabase(server.url, name);
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

interface RunningDaemon {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stderr: () => string;
  readonly exited: Promise<[number | null, string | null]>;
}

const daemons: RunningDaemon[] = [];

afterAll(() => {
  for (const daemon of daemons) if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
});

/** The compiled daemon, as `npm start` runs it, in an empty folder (no .env), on a port of our choosing. */
async function startDaemon(env: Record<string, string>): Promise<RunningDaemon> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve('dist/src/daemon.js')], {
    cwd: tempDir(),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, HTTP_PORT: String(port), LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<[number | null, string | null]>((done) => child.once('exit', (code, signal) => done([code, signal])));
  const daemon = { child, port, stderr: () => stderr, exited };
  daemons.push(daemon);
  return daemon;
}

interface HealthAnswer {
  status: number;
  body: { ok: boolean; database?: { ok: boolean; backend: string; url: string; error?: string }; stale?: string[] };
}

/** GET /healthz, or null while nothing listens. */
async function health(port: number): Promise<HealthAnswer | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: response.status, body: (await response.json()) as HealthAnswer['body'] };
  } catch {
    return null;
  }
}

async function eventLines(url: string): Promise<string[]> {
  const run = await cli(['events', '--json'], { DATABASE_URL: url });
  expect(run.code).toBe(0);
  return run.stdout.split('\n').filter((line) => line !== '');
}

/** Expects the 503 that names the database, its URL masked, the password nowhere. */
function expectDatabaseDown(answer: HealthAnswer | null, url: string): void {
  expect(answer?.status).toBe(503);
  expect(answer!.body).toMatchObject({ ok: false, database: { ok: false, backend: 'postgres', url: maskDatabaseUrl(url) } });
  expect(answer!.body.database!.error).toContain(`DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url)}`);
  expect(JSON.stringify(answer!.body)).not.toContain(PASSWORD);
}

/** The outage itself, under `daemon` which has completed its first pull. */
async function outageUnderRunningDaemon(url: string, h: Digital99Harness, onboardingLink: string, daemon: RunningDaemon): Promise<void> {
  await until(async () => (await health(daemon.port))?.status === 200, 'the first complete pull', MINUTE);
  // A pull in flight (its ledger row written, waiting on a slow numbers list) when the server goes.
  const callsBefore = h.world.calls.getWhatsApp ?? 0;
  h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 1_500 });
  await until(() => (h.world.calls.getWhatsApp ?? 0) > callsBefore, 'a pull waiting on the slow numbers list');
  await server.halt();
  // What changes upstream during the outage is found by the first pull after it.
  h.world.finishOnboarding(onboardingLink);

  await until(async () => (await health(daemon.port))?.status === 503, '/healthz to notice the database is gone', MINUTE);
  expectDatabaseDown(await health(daemon.port), url);
  // The cut pull and the scheduled ones after it fail, logged, without taking the daemon down.
  await until(() => daemon.stderr().includes('digital99 pull could not be recorded'), 'the cut pull to give up', MINUTE);
  await until(() => (daemon.stderr().match(/"sync-incremental failed"|pull could not be recorded/g) ?? []).length >= 3, 'pulls to fail during the outage', MINUTE);
  const failedJobs = daemon.stderr().split('\n').filter((line) => line.includes('"msg":"sync-incremental failed"'));
  expect(failedJobs.length).toBeGreaterThan(0);
  for (const line of failedJobs) expect(line).toContain(`DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url)}`);
  expect(daemon.child.exitCode).toBe(null);
  expect(daemon.stderr()).not.toContain(PASSWORD);

  await server.resume();
  await until(async () => (await eventLines(url)).some((line) => line.includes('"number.added"')), 'the first pull after the outage', MINUTE);
  await until(async () => (await health(daemon.port))?.status === 200, '/healthz 200 again', MINUTE);
  // A few more pulls: nothing found twice.
  const completeBefore = (await query<{ n: number }>(url, "select count(*)::int as n from sync_run where outcome = 'complete'"))[0]!.n;
  await until(async () => (await query<{ n: number }>(url, "select count(*)::int as n from sync_run where outcome = 'complete'"))[0]!.n >= completeBefore + 2, 'two more complete pulls', MINUTE);

  const events = (await eventLines(url)).map((line) => JSON.parse(line) as { id: number; type: string; key: string });
  expect(events.map((event) => event.type)).toEqual(['sync.baseline', 'onboarding.completed', 'number.added']);
  // The pull the outage cut off: never complete, recovered as INTERRUPTED by the next one.
  const failed = await query<{ outcome: string; error_code: string }>(url, "select outcome, error_code from sync_run where outcome <> 'complete' and outcome <> 'running' order by id");
  expect(failed.map((run) => `${run.outcome} ${run.error_code}`)).toContain('failed INTERRUPTED');
  const stuck = await query(url, "select id from sync_run where outcome = 'running' and id < (select max(id) from sync_run where outcome = 'complete')");
  expect(stuck).toEqual([]);

  process.kill(daemon.child.pid!, 'SIGTERM');
  expect(await daemon.exited).toEqual([0, null]);
  expect(daemon.stderr()).not.toContain(PASSWORD);
}

const SCHEDULES = { SYNC_CRON: '* * * * * *', FULL_SYNC_CRON: '0 0 1 1 *', MONTH_END_SYNC_CRON: '0 0 1 1 *', HEALTH_MAX_AGE_SECONDS: '3600' };

describe('the daemon when PostgreSQL goes away', () => {
  it('stopped under a running daemon, in the middle of a pull: 503 naming the database, the daemon stays up; started again: it recovers by itself, every event once', async () => {
    const url = await createDatabase();
    const h = await digital99Harness({ dbPath: url });
    const pending = h.world.addOnboarding();
    const daemon = await startDaemon({ ...h.env, ...SCHEDULES });
    try {
      await outageUnderRunningDaemon(url, h, pending.onboarding_link, daemon);
    } finally {
      // Whatever failed above, the next test finds the server up.
      await server.resume();
    }
  }, 240_000);


  it('started while PostgreSQL is down: waits with /healthz 503 naming the database, then works when it comes up', async () => {
    const url = await createDatabase();
    const h = await digital99Harness({ dbPath: url });
    await server.halt();
    try {
      const daemon = await startDaemon({ ...h.env, ...SCHEDULES });
      await until(async () => (await health(daemon.port)) !== null, '/healthz to answer', MINUTE);
      expectDatabaseDown(await health(daemon.port), url);
      await until(() => daemon.stderr().includes('the database does not answer; the daemon waits for it'), 'the waiting log line');
      expect(daemon.child.exitCode).toBe(null);

      await server.resume();
      await until(async () => (await health(daemon.port))?.status === 200, 'the first pull once the server is up', MINUTE);
      expect((await eventLines(url)).map((line) => JSON.parse(line).type)).toEqual(['sync.baseline']);
      expect(daemon.stderr()).toContain('the database answers: the daemon starts');

      process.kill(daemon.child.pid!, 'SIGTERM');
      expect(await daemon.exited).toEqual([0, null]);
      expect(daemon.stderr()).not.toContain(PASSWORD);
    } finally {
      await server.resume();
    }
  }, 240_000);

  it('SIGTERM while it waits for the database: exit 0', async () => {
    const url = `postgres://waba:${PASSWORD}@127.0.0.1:${await freePort()}/waba`;
    const daemon = await startDaemon({ DATABASE_URL: url, DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret-of-99digital', ...SCHEDULES });
    await until(async () => (await health(daemon.port)) !== null, '/healthz to answer', MINUTE);
    expectDatabaseDown(await health(daemon.port), url);
    process.kill(daemon.child.pid!, 'SIGTERM');
    expect(await daemon.exited).toEqual([0, null]);
    expect(daemon.stderr()).toContain('"msg":"stopped"');
    expect(daemon.stderr()).not.toContain(PASSWORD);
  }, 60_000);

  it('a wrong password can not heal by waiting: exit 2 naming DATABASE_URL, password masked', async () => {
    const url = new URL(withDatabase(server.url, 'postgres'));
    url.password = 'Wrong-pw-that-must-not-leak';
    const daemon = await startDaemon({ DATABASE_URL: url.toString(), DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret-of-99digital', ...SCHEDULES });
    expect(await daemon.exited).toEqual([2, null]);
    expect(daemon.stderr()).toContain(`DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url.toString())}`);
    expect(daemon.stderr()).toMatch(/password authentication failed/);
    expect(daemon.stderr()).not.toContain('Wrong-pw-that-must-not-leak');
  }, 60_000);

  it('a database that does not exist can not heal by waiting: exit 2', async () => {
    const url = withDatabase(server.url, 'no_such_database');
    const daemon = await startDaemon({ DATABASE_URL: url, DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret-of-99digital', ...SCHEDULES });
    expect(await daemon.exited).toEqual([2, null]);
    expect(daemon.stderr()).toMatch(/DATABASE_URL: the PostgreSQL database .*no_such_database.*does not exist/);
    expect(daemon.stderr()).not.toContain(PASSWORD);
  }, 60_000);

  it('a one-shot sync whose server goes away mid-pull: exit 1 naming DATABASE_URL, password masked; the next sync completes and finds each change once', async () => {
    const url = await createDatabase();
    const h = await digital99Harness({ dbPath: url });
    expect((await h.sync()).outcome).toBe('complete');
    const pending = h.world.addOnboarding();
    h.world.finishOnboarding(pending.onboarding_link);
    const callsBefore = h.world.calls.getWhatsApp ?? 0;
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 1_500 });
    try {
      const running = cli(['sync'], h.env);
      await until(() => (h.world.calls.getWhatsApp ?? 0) > callsBefore, 'the sync waiting on the slow numbers list');
      await server.halt();
      const cut = await running;
      expect(cut.code).toBe(1);
      expect(cut.stdout).toContain(`digital99 failed: DATABASE_URL: the PostgreSQL database ${maskDatabaseUrl(url)}: failed during the pull`);
      expect(cut.stderr + cut.stdout).not.toContain(PASSWORD);
    } finally {
      await server.resume();
    }
    const next = await cli(['sync'], h.env);
    expect(next.code).toBe(0);
    // Created and finished between two complete pulls: seen once, as created (finished).
    expect((await eventLines(url)).map((line) => JSON.parse(line).type)).toEqual(['sync.baseline', 'onboarding.created', 'number.added']);
    const runs = await query<{ outcome: string; error_code: string | null }>(url, 'select outcome, error_code from sync_run order by id');
    expect(runs.map((run) => `${run.outcome} ${run.error_code ?? ''}`.trim())).toEqual(['complete', 'failed INTERRUPTED', 'complete']);
  }, 120_000);
});
