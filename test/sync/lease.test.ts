import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { acquireLease, holderIsGone, withLease } from '../../src/sync/lease.js';
import { openDatabase } from '../../db/database.js';
import { tryAdvisoryLock } from '../../db/serialize.js';
import { digital99Harness } from '../helpers/digital99.js';
import { testBackend } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

/** A process's start time in ticks since boot, as a holder records it. */
const startTicks = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
};
const procState = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
};

describe('leases: one process pulls a source at a time', () => {
  it('a live holder blocks the pull, which fails saying who holds it and changes nothing', async () => {
    const h = await digital99Harness();
    const other = `${hostname()}:${process.ppid}:${startTicks(process.ppid)}:other`; // our parent: alive
    expect(await acquireLease(h.app.db, 'sync:digital99', other, h.clock(), 10 * 60_000)).toBe(true);
    // On PostgreSQL the row only names the holder; its session's advisory lock is what excludes.
    const result =
      testBackend === 'postgres'
        ? await h.app.db.connection().execute(async (session) => {
            expect(await tryAdvisoryLock(session, 'lease:sync:digital99')).toBe(true);
            return h.sync();
          })
        : await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'LEASE' });
    expect(result.error).toContain(`another process is pulling this source (${other}`);
    expect(h.world.calls).toEqual({});
  });

  it('an expired lease is taken over', async () => {
    const h = await digital99Harness();
    await acquireLease(h.app.db, 'sync:digital99', `elsewhere:${process.ppid}:1:old`, h.clock(), 30_000);
    expect((await h.sync()).outcome).toBe('complete'); // the harness moves the clock a minute first
  });

  it('a lease left by a dead process on this machine is taken over at once', async () => {
    const h = await digital99Harness();
    await acquireLease(h.app.db, 'sync:digital99', `${hostname()}:999999999:dead`, h.clock(), 60 * 60_000);
    expect((await h.sync()).outcome).toBe('complete');
  });

  it('a lease whose holder has our own PID (an earlier process, e.g. before a container restart) is taken over at once', async () => {
    const h = await digital99Harness();
    await acquireLease(h.app.db, 'sync:digital99', `${hostname()}:${process.pid}:old`, h.clock(), 60 * 60_000);
    expect((await h.sync()).outcome).toBe('complete');
  });

  it('a holder whose PID now belongs to a process started later is taken over at once', async () => {
    const h = await digital99Harness();
    const reused = `${hostname()}:${process.ppid}:${Number(startTicks(process.ppid)) - 1}:gone`;
    await acquireLease(h.app.db, 'sync:digital99', reused, h.clock(), 60 * 60_000);
    expect((await h.sync()).outcome).toBe('complete');
  });

  it('a zombie holder (killed, not yet reaped: it still answers kill -0) is taken over at once', async () => {
    // `sh` starts `sleep 0` and becomes `sleep 600`, which never reaps it: a zombie for as long as we like.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk) => resolve(String(chunk).trim()))));
      await until(() => procState(zombie) === 'Z', 'the child to become a zombie');
      expect(() => process.kill(zombie, 0)).not.toThrow();
      const holder = `${hostname()}:${zombie}:${startTicks(zombie)}:zombie`;
      expect(holderIsGone(holder)).toBe(true);
      const h = await digital99Harness();
      await acquireLease(h.app.db, 'sync:digital99', holder, h.clock(), 60 * 60_000);
      expect((await h.sync()).outcome).toBe('complete');
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it.runIf(testBackend === 'postgres')('PostgreSQL: a holder whose session ended (killed, connection cut) is taken over at once, whatever its row says', async () => {
    const h = await digital99Harness();
    const other = `elsewhere:${process.ppid}:1:other`; // another host: its row alone would block for an hour
    await acquireLease(h.app.db, 'sync:digital99', other, h.clock(), 60 * 60_000);
    // The other process: a connection pool of its own, holding the lock on one session.
    const elsewhere = await openDatabase(h.dbPath, { migrate: false });
    try {
      const blocked = await elsewhere.connection().execute(async (session) => {
        await tryAdvisoryLock(session, 'lease:sync:digital99');
        const result = await h.sync();
        // Its session ends as when the process is killed or its host lost: the server drops its locks.
        await sql`select pg_terminate_backend(pg_backend_pid())`.execute(session).catch(() => undefined);
        return result;
      });
      expect(blocked).toMatchObject({ outcome: 'failed', errorCode: 'LEASE' });
      // The lock goes when that backend has exited, a moment after its client heard of it.
      await until(async () => {
        const { rows } = await sql<{ n: number }>`select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`.execute(h.app.db);
        return Number(rows[0]?.n) === 0;
      }, 'the ended session to release its lock');
    } finally {
      await elsewhere.destroy();
    }
    expect(await h.sync()).toMatchObject({ outcome: 'complete' });
  });

  it('two holders in one process exclude each other like two processes', async () => {
    const h = await digital99Harness();
    const deps = { db: h.app.db, clock: h.clock, log: h.logs.log };
    const inner = await withLease(deps, 'outbox', async () => withLease(deps, 'outbox', async () => 'twice'));
    expect(inner).toMatchObject({ acquired: true, value: { acquired: false } });
    expect(await withLease(deps, 'outbox', async () => 'after')).toEqual({ acquired: true, value: 'after' });
  });
});
