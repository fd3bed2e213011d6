import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireLease, holderIsGone, withLease } from '../../src/sync/lease.js';
import { digital99Harness } from '../helpers/digital99.js';
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
    const result = await h.sync();
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

  it('two holders in one process exclude each other like two processes', async () => {
    const h = await digital99Harness();
    const deps = { db: h.app.db, clock: h.clock, log: h.logs.log };
    const inner = await withLease(deps, 'outbox', async () => withLease(deps, 'outbox', async () => 'twice'));
    expect(inner).toMatchObject({ acquired: true, value: { acquired: false } });
    expect(await withLease(deps, 'outbox', async () => 'after')).toEqual({ acquired: true, value: 'after' });
  });
});
