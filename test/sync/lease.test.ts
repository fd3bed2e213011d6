import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireLease } from '../../src/sync/lease.js';
import { digital99Harness } from '../helpers/digital99.js';

describe('leases: one process pulls a source at a time', () => {
  it('a live holder blocks the pull, which fails saying who holds it and changes nothing', async () => {
    const h = await digital99Harness();
    const other = `${hostname()}:${process.pid}:other`; // a live process (this one), another holder
    expect(await acquireLease(h.app.db, 'sync:digital99', other, h.clock(), 10 * 60_000)).toBe(true);
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'LEASE' });
    expect(result.error).toContain(`another process is pulling this source (${other}`);
    expect(h.world.calls).toEqual({});
  });

  it('an expired lease is taken over', async () => {
    const h = await digital99Harness();
    await acquireLease(h.app.db, 'sync:digital99', `${hostname()}:${process.pid}:old`, h.clock(), 30_000);
    expect((await h.sync()).outcome).toBe('complete'); // the harness moves the clock a minute first
  });

  it('a lease left by a dead process on this machine is taken over at once', async () => {
    const h = await digital99Harness();
    await acquireLease(h.app.db, 'sync:digital99', `${hostname()}:999999999:dead`, h.clock(), 60 * 60_000);
    expect((await h.sync()).outcome).toBe('complete');
  });
});
