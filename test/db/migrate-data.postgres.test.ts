/**
 * `migrate-data`: a scripted history in a SQLite file — real pulls with changes, a data check, a
 * failed pull that alerted, a digest and a monthly report sent over the real SMTP peer — copied
 * into an empty PostgreSQL database and verified; then the same commands print the same from
 * PostgreSQL as from SQLite, and the SQLite file is untouched.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { migrations } from '../../db/migrations/index.js';
import { openPostgres } from '../../db/postgres.js';
import type { Database } from '../../db/schema.js';
import { TABLES, batchesOf } from '../../db/copy.js';
import { openSqliteSource } from '../../db/sqlite-source.js';
import type { Env } from '../../src/config.js';
import { cli as runCli } from '../helpers/cli.js';
import type { Digital99Harness } from '../helpers/digital99.js';
import { metaHarness } from '../helpers/meta.js';
import { freshPostgresUrl } from '../helpers/postgres.js';
import { cli, pullAt, reportHarness } from '../helpers/report.js';
import { startSmtp } from '../helpers/smtp.js';
import { tempSqlitePath } from '../helpers/temp.js';

const opened: Kysely<Database>[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.destroy();
});

async function postgres(url: string): Promise<Kysely<Database>> {
  const db = await openPostgres(url);
  opened.push(db);
  return db;
}

/** Every table gets rows: most from what the app does, the rest (a pull in progress, a held lease, an open finding) put in by hand. */
async function scriptedHistory(): Promise<{ h: Digital99Harness; env: Env; sqlitePath: string }> {
  const smtp = await startSmtp();
  const dbPath = tempSqlitePath();
  const mail = { ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com', REPORT_TO: 'finance@example.com', ALERT_AFTER_FAILURES: '1' };
  const h = await reportHarness({ ...mail, DATABASE_URL: dbPath });
  const acme = h.world.addNumber({ display_name: 'Acme "Ünïcode" 🚀', business_name: 'Acme inc' });
  const bakery = h.world.addNumber({ display_name: 'Bakery' });
  h.world.addTraffic(acme.whatsapp, { marketing: 4, service: 2, incoming: 1 });
  await pullAt(h, '2026-10-05T09:00:00Z');
  h.world.updateNumber(bakery.whatsapp, { display_name: 'Bakery & Co', conversationsThisMonth: 10, marketingThisMonth: 3, serviceThisMonth: 3, incomingThisMonth: 0 });
  await pullAt(h, '2026-10-20T09:00:00Z'); // a changed name and a counters_sum data check
  h.world.removeNumber(acme.whatsapp);
  await pullAt(h, '2026-10-31T21:50:00Z');
  h.clock.set('2026-11-01T04:00:00Z');
  h.world.inject({ kind: 'malformed', call: 'getWhatsApp' });
  expect((await cli(h, ['sync'])).code).toBe(1); // failed: an alert episode and its email
  h.world.clearFaults();
  expect((await cli(h, ['digest', '--send'])).code).toBe(0);
  expect((await cli(h, ['report', '--month', '2026-10', '--send'])).code).toBe(0);
  expect(smtp.mails.length).toBeGreaterThanOrEqual(3);
  // An onboarding link waba-sync created: who and when, in onboarding_request.
  h.world.registerNumber('972501112233');
  expect((await cli(h, ['onboarding', 'create', '--number', '972501112233', '--business-name', 'Acme', '--display-name', 'Acme', '--by', 'Dana Ünïcode'])).code).toBe(0);

  // Meta keeps per-source state (its newest creation_time) in source_state.
  const meta = await metaHarness({ dbPath });
  meta.world.addPhoneNumber(meta.world.shareWaba({ name: 'Ω WABA' }).id);
  await meta.sync();
  await meta.sync('incremental');
  await meta.app.close();

  const db = h.app.db;
  // The file's own pull_item (a row an earlier version staged): this
  // connection stages in a temporary table of the same name, so the file's is named.
  await sql`insert into main.pull_item (run_id, kind, key, data, hash) values (99, 'number', 'k-1', null, 'h')`.execute(db);
  await db.insertInto('lease').values({ name: 'source:digital99', holder: 'host-a:1', acquired_at: '2026-11-01T04:00:00.000Z', expires_at: '2026-11-01T04:05:00.000Z' }).execute();
  await db.insertInto('job_claim').values({ job: 'sync-full', scheduled_at: '2026-11-01T00:00:00.000Z', holder: 'host-a:1', claimed_at: '2026-11-01T00:00:00.010Z' }).execute();
  await db.insertInto('check_finding').values({ check: 'missing_in_meta', key: 'x', detail: 'd', opened_at: '2026-11-01T04:00:00.000Z', digest_id: 1 }).execute();
  await db
    .insertInto('webhook_inbox')
    .values({ upstream: 'meta', body_hash: 'ab'.repeat(32), body: '{"object":"whatsapp_business_account","entry":[]}', received_at: '2026-11-01T04:00:00.000Z', last_received_at: '2026-11-01T04:00:01.000Z', deliveries: 2, next_attempt_at: '2026-11-01T04:00:00.000Z', processed_at: '2026-11-01T04:00:00.200Z', outcome: 'applied', note: 'nothing to do' })
    .execute();
  // An event delivery (issue 19) still waiting for its subscriber; the feed holds every event no dispatcher has taken.
  const firstEvent = await db.selectFrom('event').select(['id', 'type', 'at']).orderBy('id').executeTakeFirstOrThrow();
  await db
    .insertInto('event_delivery')
    .values({ subscription: 'BILLING', event_id: firstEvent.id, event_type: firstEvent.type, entity: 'digital99:x', webhook_id: 'msg_test', status: 'pending', attempts: 1, next_attempt_at: '2026-11-01T04:00:05.000Z', first_attempt_at: '2026-11-01T04:00:00.000Z', last_error: 'HTTP 503', last_status: 503, event_at: firstEvent.at, created_at: '2026-11-01T04:00:00.000Z' })
    .execute();
  for (const table of TABLES) expect(await sql`select 1 from ${sql.raw(`main.${table}`)} limit 1`.execute(db).then((r) => r.rows), table).not.toHaveLength(0);
  return { h, env: { ...h.env, ...mail }, sqlitePath: dbPath };
}

const fileState = (path: string) => ({ bytes: readFileSync(path).toString('base64'), mtime: statSync(path).mtimeMs });

/**
 * What a user reads: the events, the status (but its Database: line, which names the backend, and
 * its schedule, which comes from the settings and the wall clock), the report.
 */
async function outputs(h: Digital99Harness, env: Env): Promise<string[]> {
  const runs = [await cli(h, ['events', '--json'], env), await cli(h, ['status'], env), await cli(h, ['report', '--month', '2026-10'], env)];
  for (const run of runs) expect(run.code, run.stderr).toBe(0);
  return runs.map((run) => run.stdout.replace(/^Database: .*$/m, 'Database: (either)').replace(/^Schedule \(.*/ms, ''));
}

describe('migrate-data', () => {
  it('copies every table into an empty PostgreSQL database, verifies it, and the commands print the same from it', async () => {
    const { h, env, sqlitePath } = await scriptedHistory();
    const fromSqlite = await outputs(h, env);
    expect(fromSqlite[0]!.trim().split('\n').length).toBeGreaterThanOrEqual(4);
    await h.app.close();
    const before = fileState(sqlitePath);

    const url = freshPostgresUrl();
    const run = await cli(h, ['migrate-data', '--from', sqlitePath, '--to', url], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Verified: \d+ tables, \d+ rows; every row count and checksum matches\.$/m);
    for (const table of TABLES) expect(run.stdout).toMatch(new RegExp(`^${table}\\s+[1-9]\\d*\\s+[1-9]\\d*\\s+[0-9a-f]{16}\\s+ok$`, 'm'));
    expect(fileState(sqlitePath)).toEqual(before);

    const onPostgres = { ...env, DATABASE_URL: url };
    expect(await outputs(h, onPostgres)).toEqual(fromSqlite);

    // New rows continue after the copied ids instead of colliding with them.
    const db = await postgres(url);
    const lastEvent = (await db.selectFrom('event').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id;
    h.world.addNumber({ display_name: 'Newcomer' });
    h.clock.advance(3_600_000);
    const sync = await cli(h, ['sync'], onPostgres);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const added = await db.selectFrom('event').select(['id', 'type']).where('id', '>', lastEvent).execute();
    expect(added.map((e) => e.type)).toContain('number.added');
  });

  it('refuses a target that is not empty (exit 2, nothing copied), names it without its password, and --verify-only finds a changed row (exit 1)', async () => {
    const { h, env, sqlitePath } = await scriptedHistory();
    await h.app.close();
    const url = freshPostgresUrl();
    const password = new URL(url).password;
    const first = await cli(h, ['migrate-data', '--from', sqlitePath, '--to', url], env);
    expect(first.code, first.stderr).toBe(0);
    const db = await postgres(url);
    const events = (await db.selectFrom('event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;

    const again = await cli(h, ['migrate-data', '--from', sqlitePath, '--to', url], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/the database is not empty \(rows in sync_run, .*\); migrate-data copies into an empty database only/);
    if (password !== '') expect(again.stdout + again.stderr).not.toContain(password);
    expect((await db.selectFrom('event').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n).toBe(events);

    expect((await cli(h, ['migrate-data', '--verify-only', '--from', sqlitePath, '--to', url], env)).code).toBe(0);
    await db.updateTable('event').set({ key: 'tampered' }).where('id', '=', 2).execute();
    const verify = await cli(h, ['migrate-data', '--verify-only', '--from', sqlitePath, '--to', url], env);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/^event\s+\d+\s+\d+\s+[0-9a-f]{16}\s+MISMATCH$/m);
    expect(verify.stderr).toContain('the target differs from the source in event (row count or checksum)');
  });

  it('copies a database of an older schema through a migrated temporary copy, leaving the file as it was', async () => {
    const path = tempSqlitePath();
    const older = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
    const names = Object.keys(migrations);
    const result = await new Migrator({ db: older, provider: { getMigrations: async () => migrations } }).migrateTo(names[names.length - 3]!);
    expect(result.error).toBeUndefined();
    await older.insertInto('event').values({ type: 'number.added', source: 'digital99', key: '972500000001', at: '2026-10-01T00:00:00.000Z', after: '{"a":1}' }).execute();
    await older.destroy();
    const before = fileState(path);

    const url = freshPostgresUrl();
    const copied = await runCli(['migrate-data', '--from', path, '--to', url], {});
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toContain('its schema is older, so a migrated temporary copy of it is read');
    expect(fileState(path)).toEqual(before);
    const db = await openDatabase(url);
    opened.push(db);
    expect(await db.selectFrom('event').select(['id', 'key']).execute()).toEqual([{ id: 1, key: '972500000001' }]);
  });
});

describe('migrate-data: usage', () => {
  it('exits 2 for a source that is missing or not a waba-sync database (creating nothing) and for a target that is not PostgreSQL', async () => {
    const missing = tempSqlitePath();
    const url = freshPostgresUrl();
    const run = await runCli(['migrate-data', '--from', missing, '--to', url], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--from ${missing}: cannot open it as a SQLite database`);
    expect(existsSync(missing)).toBe(false);

    const foreign = tempSqlitePath();
    const other = new SQLite(foreign);
    other.exec('create table notes (body text)');
    other.close();
    const notOurs = await runCli(['migrate-data', '--from', foreign, '--to', url], {});
    expect(notOurs.code).toBe(2);
    expect(notOurs.stderr).toContain('not a waba-sync database');

    const toSqlite = await runCli(['migrate-data', '--from', foreign, '--to', tempSqlitePath()], {});
    expect(toSqlite.code).toBe(2);
    expect(toSqlite.stderr).toContain('--to: expected a PostgreSQL URL');
  });
});

describe('reading in primary-key order, a batch at a time', () => {
  it('pages a composite key past every batch boundary, in the same (byte) order on both backends', async () => {
    const path = tempSqlitePath();
    const sqlite = await openDatabase(path);
    const names = ['b', 'a', 'ä', 'Z', '🚀', 'a b', 'aa'];
    for (const source of ['meta', 'digital99']) {
      for (const name of names) await sqlite.insertInto('source_state').values({ source, name, value: `${source}/${name}`, updated_at: 't' }).execute();
    }
    await sqlite.destroy();
    const url = freshPostgresUrl();
    expect((await runCli(['migrate-data', '--from', path, '--to', url], {})).code).toBe(0);

    const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const expected = ['digital99', 'meta'].flatMap((source) => [...names].sort(byBytes).map((name) => `${source}/${name}`));
    const source = await openSqliteSource(path);
    try {
      for (const db of [source.db, await postgres(url)]) {
        const read: string[] = [];
        for await (const batch of batchesOf(db, 'source_state', 3)) read.push(...batch.map((row) => String(row.value)));
        expect(read).toEqual(expected);
      }
    } finally {
      await source.close();
    }
  });
});
