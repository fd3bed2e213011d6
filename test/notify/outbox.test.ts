import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { type Db, openDatabase } from '../../db/database.js';
import type { OutgoingEmail } from '../../src/notify/email.js';
import { drainOutbox, enqueueEmail } from '../../src/notify/outbox.js';
import { type MailTransport, smtpTransport } from '../../src/notify/transport.js';
import { parseConfig } from '../../src/config.js';
import { cli } from '../helpers/cli.js';
import { manualClock } from '../helpers/clock.js';
import { captureLog } from '../helpers/log.js';
import { type SmtpPeer, startSmtp } from '../helpers/smtp.js';
import { tempDbPath } from '../helpers/temp.js';
import { testBackend } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

/** Advisory locks held in this database right now (PostgreSQL). */
async function advisoryLocks(db: Db): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`.execute(db);
  return Number(rows[0]?.n ?? 0);
}
import { SecretScrubber } from '../../src/secrets.js';

const email = (key: string, extra: Partial<OutgoingEmail> = {}): OutgoingEmail => ({
  idempotencyKey: key,
  to: ['ops@example.com', 'lead@example.com'],
  subject: `Subject ${key}`,
  text: `Text of ${key}`,
  html: `<p>HTML of ${key}</p>`,
  ...extra,
});

async function setup(options: { maxAttempts?: number } = {}) {
  const smtp = await startSmtp();
  const dbPath = tempDbPath();
  const clock = manualClock();
  const logs = captureLog();
  const env = { DATABASE_URL: dbPath, ...smtp.env, MAIL_FROM: 'waba-sync <noreply@example.com>' };
  const config = parseConfig(env);
  let db: Db = await openDatabase(dbPath);
  const ctx = {
    smtp,
    clock,
    logs,
    env,
    get db() {
      return db;
    },
    enqueue: (e: OutgoingEmail) => db.transaction().execute((trx) => enqueueEmail(trx, e, clock())),
    drain: async () => {
      const transport = smtpTransport(config.mail.smtp!, { connectionTimeoutMs: 5000 });
      try {
        return await drainOutbox({
          db,
          clock,
          log: logs.log,
          transport,
          from: config.mail.from!,
          maxAttempts: options.maxAttempts ?? 5,
          retryBaseMs: 60_000,
          scrubber: new SecretScrubber([smtp.pass]),
        });
      } finally {
        transport.close();
      }
    },
    /** A process restart: the database is closed and opened again. */
    reopen: async () => {
      await db.destroy();
      db = await openDatabase(dbPath);
    },
  };
  return ctx;
}

const messageIds = (smtp: SmtpPeer) => smtp.mails.map((m) => m.parsed.messageId);

describe('outbox', () => {
  it('queues an email once per idempotency key and delivers it with its parts and attachments', async () => {
    const t = await setup();
    expect(await t.enqueue(email('report:2026-10', { attachments: [{ filename: 'r.csv', contentType: 'text/csv', content: 'a,b\n1,2\n' }] }))).toBe(true);
    expect(await t.enqueue(email('report:2026-10', { subject: 'changed' }))).toBe(false);

    expect(await t.drain()).toMatchObject({ sent: 1, pending: 0 });
    expect(t.smtp.mails).toHaveLength(1);
    const mail = t.smtp.mails[0]!;
    expect(mail.parsed.subject).toBe('Subject report:2026-10');
    expect(mail.parsed.text?.trim()).toBe('Text of report:2026-10');
    expect(mail.parsed.html).toContain('<p>HTML of report:2026-10</p>');
    expect(mail.envelopeTo).toEqual(['ops@example.com', 'lead@example.com']);
    expect(mail.parsed.from?.value).toEqual([{ name: 'waba-sync', address: 'noreply@example.com' }]);
    expect(mail.parsed.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['r.csv', 'a,b\n1,2\n']]);
    expect(mail.authUser).toBe(t.smtp.user);

    expect(await t.drain()).toMatchObject({ sent: 0 });
    expect(t.smtp.mails).toHaveLength(1);
  });

  it('keeps emails while SMTP refuses them and delivers each once, with its Message-ID, when it is back', async () => {
    const t = await setup();
    await t.enqueue(email('digest:1'));
    await t.enqueue(email('digest:2'));
    await t.smtp.down('reject');

    // Each drain stops at the first failure, so an outage costs one attempt per drain, not one per email.
    const first = await t.drain();
    expect(first).toMatchObject({ sent: 0, deferred: 1, pending: 2 });
    expect(first.lastError).toMatch(/421|Service not available/);
    expect(await t.drain()).toMatchObject({ sent: 0, deferred: 1, pending: 2 });
    // Neither is due again before its backoff: nothing is tried.
    const connections = t.smtp.connections;
    expect(await t.drain()).toMatchObject({ sent: 0, deferred: 0, pending: 2 });
    expect(t.smtp.connections).toBe(connections);

    // SMTP refuses connections altogether; a restart of the process in between.
    await t.smtp.down('refuse');
    t.clock.advance(60_000);
    expect((await t.drain()).lastError).toMatch(/ECONNREFUSED|ECONNECTION/);
    await t.reopen();

    const listing = await cli(['outbox'], t.env);
    expect(listing.code).toBe(0);
    expect(listing.stdout).toContain('2 pending, 0 failed');
    expect(listing.stdout).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(listing.stdout).toContain('Subject digest:1');

    await t.smtp.up();
    t.clock.advance(3 * 60_000);
    expect(await t.drain()).toMatchObject({ sent: 2, pending: 0 });
    expect(t.smtp.mails.map((m) => m.parsed.subject).sort()).toEqual(['Subject digest:1', 'Subject digest:2']);
    const rows = await t.db.selectFrom('outbox').select(['idempotency_key', 'message_id', 'status', 'attempts']).orderBy('id').execute();
    expect([...messageIds(t.smtp)].sort()).toEqual(rows.map((r) => r.message_id).sort());
    expect(rows.map((r) => [r.idempotency_key, r.status, r.attempts])).toEqual([
      ['digest:1', 'sent', 3],
      ['digest:2', 'sent', 2],
    ]);
    t.clock.advance(24 * 3_600_000);
    await t.drain();
    expect(t.smtp.mails).toHaveLength(2);
  });

  it('a crash after the server accepted but before the row was marked sends at most one duplicate, with the same Message-ID', async () => {
    const t = await setup();
    await t.enqueue(email('digest:7'));
    await t.drain();
    // The process died between the 250 and the update: the row is as it was before the attempt.
    await t.db.updateTable('outbox').set({ status: 'pending', attempts: 0, sent_at: null }).execute();
    await t.reopen();

    await t.drain();
    await t.drain();
    expect(t.smtp.mails).toHaveLength(2);
    expect(new Set(messageIds(t.smtp)).size).toBe(1);
    expect(t.smtp.mails[0]!.parsed.date).toEqual(t.smtp.mails[1]!.parsed.date);
  });

  it('marks an email failed after the last attempt, keeps listing it, and never shows the SMTP password', async () => {
    const t = await setup({ maxAttempts: 2 });
    const wrongPassword = 'Wr0ng-Pa55word';
    await t.enqueue(email('alert:digital99:3:failing'));
    const env = { ...t.env, SMTP_URL: `smtp://${t.smtp.user}:${wrongPassword}@127.0.0.1:${t.smtp.port}` };
    const config = parseConfig(env);
    const drainWrong = async () => {
      const transport = smtpTransport(config.mail.smtp!);
      try {
        return await drainOutbox({ db: t.db, clock: t.clock, log: t.logs.log, transport, from: 'a@example.com', maxAttempts: 2, retryBaseMs: 1000, scrubber: new SecretScrubber([wrongPassword]) });
      } finally {
        transport.close();
      }
    };
    expect(await drainWrong()).toMatchObject({ sent: 0, deferred: 1, failed: 0 });
    t.clock.advance(1000);
    expect(await drainWrong()).toMatchObject({ sent: 0, deferred: 0, failed: 1, pending: 0 });
    t.clock.advance(3_600_000);
    expect(await drainWrong()).toMatchObject({ sent: 0, failed: 0 });

    const listing = await cli(['outbox'], env);
    expect(listing.stdout).toContain('0 pending, 1 failed');
    expect(listing.stdout).toMatch(/failed\s+2\s/);
    expect(listing.stdout).toMatch(/EAUTH|535/);
    const row = await t.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    for (const text of [listing.stdout, listing.stderr, t.logs.text(), row.last_error ?? '']) {
      expect(text).not.toContain(wrongPassword);
      expect(text).not.toContain(t.smtp.pass);
    }
    expect(t.smtp.mails).toHaveLength(0);
  });

  describe('the drain lease, during a drain longer than the lease', () => {
    const TTL = 60_000;
    /**
     * Drain A sends through the real SMTP peer, and each email "takes" 60% of the lease's TTL on the
     * injected clock, so the whole drain outlasts one lease. Right after A's second email, drain B
     * (another process) tries its luck.
     */
    async function race(t: Awaited<ReturnType<typeof setup>>, beforeB: () => Promise<void> = async () => undefined) {
      const config = parseConfig(t.env);
      const real = smtpTransport(config.mail.smtp!, { connectionTimeoutMs: 5000 });
      const drain = (transport: MailTransport) =>
        drainOutbox({ db: t.db, clock: t.clock, log: t.logs.log, transport, from: config.mail.from!, maxAttempts: 5, retryBaseMs: 60_000, leaseTtlMs: TTL });
      let sentByA = 0;
      let b: Awaited<ReturnType<typeof drain>> | null = null;
      const slow: MailTransport = {
        sendMail: async (message) => {
          t.clock.advance(TTL * 0.6);
          const info = await real.sendMail(message);
          sentByA += 1;
          if (sentByA === 2) {
            await beforeB();
            b = await drain(real);
          }
          return info;
        },
        close: () => undefined,
      };
      try {
        const a = await drain(slow);
        return { a, b: b as Awaited<ReturnType<typeof drain>> | null };
      } finally {
        real.close();
      }
    }

    it('is renewed per email, so a second drain finds it held and no email goes out twice', async () => {
      const t = await setup();
      for (let i = 1; i <= 5; i++) await t.enqueue(email(`digest:${i}`));
      const { a, b } = await race(t);
      expect(b).toMatchObject({ busy: true, sent: 0 });
      expect(a).toMatchObject({ sent: 5, pending: 0 });
      expect(messageIds(t.smtp)).toHaveLength(5);
      expect(new Set(messageIds(t.smtp)).size).toBe(5);
    });

    it.runIf(testBackend === 'sqlite')('stops draining when another process has taken it over', async () => {
      const t = await setup();
      for (let i = 1; i <= 5; i++) await t.enqueue(email(`digest:${i}`));
      // Before B runs, a third process holds the lease (A's lapsed while, say, the host slept).
      const { a } = await race(t, async () => {
        await t.db.updateTable('lease').set({ holder: 'elsewhere:1:abc', expires_at: new Date(t.clock().getTime() + TTL).toISOString() }).where('name', '=', 'outbox').execute();
      });
      expect(a).toMatchObject({ sent: 2, pending: 3 });
      expect(t.logs.text()).toContain('outbox lease lost');
      expect(messageIds(t.smtp)).toHaveLength(2);
    });

    it.runIf(testBackend === 'postgres')('PostgreSQL: stops draining when its lock session is cut, and the next drain sends the rest once', async () => {
      const t = await setup();
      for (let i = 1; i <= 5; i++) await t.enqueue(email(`digest:${i}`));
      // Before B runs, A's session holding the advisory lock ends (connection cut, server restarted it).
      const { a, b } = await race(t, async () => {
        await sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database()) and pid <> pg_backend_pid()`.execute(t.db);
        // Termination is a signal: the lock goes when that backend has exited.
        await until(async () => (await advisoryLocks(t.db)) === 0, 'the cut session to end');
      });
      // B came while A's second email was accepted but not yet marked: that one goes twice, with
      // the same Message-ID (the documented at-most-one repeat); A then stops.
      expect(b).toMatchObject({ busy: false, sent: 4 });
      expect(a).toMatchObject({ sent: 2, pending: 0 });
      expect(t.logs.text()).toContain('outbox lease lost');
      expect(messageIds(t.smtp)).toHaveLength(6);
      expect(new Set(messageIds(t.smtp)).size).toBe(5);
    });
  });
});
