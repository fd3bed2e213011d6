/**
 * A long-running process keeps each source's snapshot between its pulls (src/sync/snapshot.ts,
 * SnapshotCache) instead of reading every current key and hash back. What a user would notice if
 * it went wrong: a change not reported (a stale hash taken for the current one), a removal
 * reported twice or never, a version written twice. So the same fleet history is pulled into two
 * databases, one with the cache and one without: the events and the versions must be the same,
 * and what the cache keeps after each pull must be exactly what the database would give back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { silentLogger } from '../../src/log.js';
import { runSourcePull } from '../../src/sync/run-source.js';
import { SnapshotCache, readSnapshot } from '../../src/sync/snapshot.js';
import type { Coverage, Source } from '../../src/sync/types.js';
import { manualClock } from '../helpers/clock.js';
import { tempDbPath } from '../helpers/temp.js';

type Fleet = Map<string, Map<string, string>>; // kind → key → name
const KINDS = ['item', 'part'] as const;
const events = (kind: string) => ({ added: `${kind}.added`, removed: `${kind}.removed`, changed: `${kind}.changed` });

/**
 * A source reading `fleet` page by page; `coverage` says how much of each kind a pull covered;
 * `restart`: the items are read halfway, thrown away and read again (a list that changed under its sweep).
 */
function source(fleet: Fleet, coverage: Coverage = { item: 'complete', part: 'complete' }, restart = false): Source {
  return {
    name: 'digital99',
    supportsIncremental: false,
    kinds: KINDS.map((kind) => ({ kind, events: events(kind) })),
    async pull(ctx) {
      for (const kind of KINDS) {
        if (!coverage[kind]) continue;
        const rows = [...(fleet.get(kind) ?? [])].map(([key, name]) => ({ key, data: { name } }));
        if (restart && kind === 'item') {
          await ctx.stage(kind, rows.slice(0, rows.length >> 1).map((row) => ({ ...row, data: { name: 'read before the restart' } })));
          await ctx.discard(kind);
        }
        for (let i = 0; i < rows.length; i += 7) await ctx.stage(kind, rows.slice(i, i + 7));
      }
      return { coverage };
    },
  };
}

/** What the database gives back for each kind, read without the cache. */
async function fromDatabase(db: Awaited<ReturnType<typeof openDatabase>>) {
  const snapshot = await readSnapshot(db, 'digital99', KINDS);
  return Object.fromEntries(KINDS.map((kind) => [kind, snapshot.kinds.get(kind)!.successor(new Map(), false)]));
}

async function currentFingerprint(db: Awaited<ReturnType<typeof openDatabase>>) {
  const row = await db
    .selectFrom('entity_version')
    .select((eb) => [eb.fn.countAll<number | bigint>().as('n'), eb.fn.max('id').as('maxId')])
    .where('source', '=', 'digital99')
    .where('valid_to', 'is', null)
    .executeTakeFirstOrThrow();
  return { count: Number(row.n), maxId: row.maxId === null ? null : Number(row.maxId) };
}

async function stored(db: Awaited<ReturnType<typeof openDatabase>>) {
  return (await db.selectFrom('entity_version').select(['kind', 'key', 'data', 'valid_to']).orderBy('kind').orderBy('key').orderBy('id').execute()).map(
    (v) => `${v.kind} ${v.key} ${v.data} ${v.valid_to === null ? 'current' : 'closed'}`,
  );
}

describe('the snapshot kept between pulls', () => {
  it('gives the same events and versions as reading it back, and keeps exactly what the database holds', async () => {
    const change = fc.oneof(
      fc.record({ op: fc.constant('set' as const), kind: fc.constantFrom(...KINDS), key: fc.integer({ min: 0, max: 40 }), name: fc.constantFrom('a', 'b', 'c') }),
      fc.record({ op: fc.constant('remove' as const), kind: fc.constantFrom(...KINDS), key: fc.integer({ min: 0, max: 40 }) }),
    );
    const pull = fc.record({ changes: fc.array(change, { maxLength: 12 }), partItems: fc.boolean(), skipParts: fc.boolean(), restart: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(pull, { minLength: 2, maxLength: 5 }), async (pulls) => {
        const clock = manualClock();
        const cache = new SnapshotCache();
        const cached = await openDatabase(tempDbPath());
        const plain = await openDatabase(tempDbPath());
        try {
          const fleet: Fleet = new Map(KINDS.map((kind) => [kind, new Map(Array.from({ length: 25 }, (_, i) => [`k${i}`, 'a']))]));
          for (const [n, step] of pulls.entries()) {
            for (const c of step.changes) {
              const keys = fleet.get(c.kind)!;
              if (c.op === 'set') keys.set(`k${c.key}`, c.name);
              else keys.delete(`k${c.key}`);
            }
            // After the baseline, some pulls read a kind only in part, or not at all.
            const coverage: Coverage = n === 0 ? { item: 'complete', part: 'complete' } : { item: step.partItems ? 'partial' : 'complete', ...(step.skipParts ? {} : { part: 'complete' }) };
            clock.advance(60_000);
            const a = await runSourcePull({ db: cached, clock, log: silentLogger, snapshots: cache }, source(fleet, coverage, step.restart), 'full');
            const b = await runSourcePull({ db: plain, clock, log: silentLogger }, source(fleet, coverage, step.restart), 'full');
            expect(a.outcome).toBe('complete');
            expect(a.eventTypes).toEqual(b.eventTypes);
            const kept = cache.peek('digital99');
            // A baseline leaves nothing to keep (its rows were never held); every pull after it does.
            if (n === 0) expect(kept).toBeUndefined();
            else {
              expect(Object.fromEntries([...kept!.kinds])).toEqual(await fromDatabase(cached));
              // Kept with the fingerprint the database now has: the next pull trusts it exactly then.
              expect(kept!.fingerprint).toEqual(await currentFingerprint(cached));
            }
          }
          const eventsOf = async (db: typeof cached) => (await listEvents(db)).map((e) => `${e.type} ${e.key} ${JSON.stringify(e.changes)}`);
          expect(await eventsOf(cached)).toEqual(await eventsOf(plain));
          expect(await stored(cached)).toEqual(await stored(plain));
        } finally {
          await cached.destroy();
          await plain.destroy();
        }
      }),
      { numRuns: 12 },
    );
  });

  /**
   * Items a and b pulled twice with a cache: a baseline, then a pull whose commit leaves its
   * snapshot kept. `pull` runs the next one a minute later, with the cache unless given null.
   */
  async function keptAfterTwoPulls() {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const cache = new SnapshotCache();
    const fleet: Fleet = new Map([
      ['item', new Map([['a', 'A'], ['b', 'B']])],
      ['part', new Map()],
    ]);
    /** `kept`: null reads the snapshot from the database. */
    const pull = async (from: Source = source(fleet), kept: SnapshotCache | null = cache) => {
      clock.advance(60_000);
      return runSourcePull({ db, clock, log: silentLogger, snapshots: kept ?? undefined }, from, 'full');
    };
    await pull();
    await pull();
    expect(cache.peek('digital99')).toBeDefined();
    return { db, clock, cache, fleet, pull };
  }

  it('is what the next pull compares with, instead of the database, while the fingerprint holds', async () => {
    const { db, pull } = await keptAfterTwoPulls();
    // A hash changed in place keeps the fingerprint (nothing of ours ever does this): only a pull
    // that reads the database sees 'a' differ from it.
    await db.updateTable('entity_version').set({ hash: 'changed-in-place-hash00' }).where('key', '=', 'a').where('valid_to', 'is', null).execute();
    const versions = async () => (await db.selectFrom('entity_version').select('id').execute()).length;
    const before = await versions();
    expect((await pull()).outcome).toBe('complete');
    expect(await versions()).toBe(before); // compared with the kept snapshot: 'a' unchanged
    expect((await pull(undefined, null)).outcome).toBe('complete');
    expect(await versions()).toBe(before + 1); // read from the database: 'a' staged again
    await db.destroy();
  });

  it('is not trusted once anything else wrote the source: the next pull reads the database and reports the change', async () => {
    const { db, clock, pull } = await keptAfterTwoPulls();
    // Another writer (a webhook's pull in another daemon, say) gives 'a' a new version.
    const current = await db.selectFrom('entity_version').selectAll().where('key', '=', 'a').where('valid_to', 'is', null).executeTakeFirstOrThrow();
    await db.updateTable('entity_version').set({ valid_to: clock().toISOString() }).where('id', '=', current.id).execute();
    const { id: _, ...rest } = current;
    await db.insertInto('entity_version').values({ ...rest, data: '{"name":"elsewhere"}', hash: 'written-elsewhere-hash0', valid_from: clock().toISOString() }).execute();

    // The upstream still says 'A': with the kept hash taken for current, this would pass unnoticed.
    const result = await pull();
    expect(result.eventTypes).toEqual({ 'item.changed': 1 });
    expect((await listEvents(db)).at(-1)).toMatchObject({ type: 'item.changed', key: 'a', changes: { name: { from: 'elsewhere', to: 'A' } } });
    await db.destroy();
  });

  it('a failed pull leaves nothing kept: the next one reads the database', async () => {
    const { db, cache, fleet, pull } = await keptAfterTwoPulls();
    const failing: Source = {
      ...source(fleet),
      pull: async (ctx) => {
        await ctx.stage('item', [{ key: 'a', data: { name: 'changed' } }]);
        throw new Error('upstream went away');
      },
    };
    expect((await pull(failing)).outcome).toBe('failed');
    expect(cache.peek('digital99')).toBeUndefined();
    fleet.get('item')!.set('b', 'B2');
    expect((await pull()).eventTypes).toEqual({ 'item.changed': 1 });
    expect(Object.fromEntries([...cache.peek('digital99')!.kinds])).toEqual(await fromDatabase(db));
    await db.destroy();
  });
});
