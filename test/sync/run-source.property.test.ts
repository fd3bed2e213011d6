import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { kindAt } from '../../src/history.js';
import { silentLogger } from '../../src/log.js';
import { runSourcePull } from '../../src/sync/run-source.js';
import type { Source } from '../../src/sync/types.js';
import { manualClock } from '../helpers/clock.js';
import { tempDbPath } from '../helpers/temp.js';

type Snapshot = Map<string, { status: number; name: string }>;

/** A source that serves one scripted snapshot per pull, in pages, failing mid-way when told to. */
function scriptedSource(): Source & { next: Snapshot; failAfterPage: number | null } {
  const source = {
    name: 'digital99' as const,
    supportsIncremental: false,
    next: new Map() as Snapshot,
    failAfterPage: null as number | null,
    kinds: [{ kind: 'item', events: { added: 'item.added', removed: 'item.removed', changed: 'item.changed', fieldEvents: [{ field: 'status', type: 'item.status_changed' }] } }],
    async pull(ctx: Parameters<Source['pull']>[0]) {
      const items = [...source.next].map(([key, data]) => ({ key, data }));
      for (let page = 0; page * 3 < items.length || page === 0; page++) {
        if (source.failAfterPage === page) throw new Error('upstream went away');
        await ctx.stage('item', items.slice(page * 3, page * 3 + 3));
      }
      return { coverage: { item: 'complete' as const } };
    },
  };
  return source;
}

const snapshotArb = fc
  .dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.record({ status: fc.integer({ min: 0, max: 2 }), name: fc.constantFrom('x', 'y') }))
  .map((record) => new Map(Object.entries(record)) as Snapshot);

describe('runSourcePull (property)', () => {
  it('after any sequence of complete and failed pulls, state equals the last complete snapshot and events tell exactly the differences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(snapshotArb, fc.option(fc.integer({ min: 0, max: 2 }), { nil: null })), { minLength: 1, maxLength: 6 }), async (steps) => {
        const db = await openDatabase(tempDbPath());
        const clock = manualClock();
        const source = scriptedSource();
        try {
          let state: Snapshot | null = null;
          for (const [snapshot, failAfterPage] of steps) {
            source.next = snapshot;
            source.failAfterPage = failAfterPage;
            clock.advance(60_000);
            const eventsBefore = (await listEvents(db)).length;
            const result = await runSourcePull({ db, clock, log: silentLogger }, source, 'full');
            const fresh = (await listEvents(db)).slice(eventsBefore);
            if (failAfterPage !== null && failAfterPage * 3 < Math.max(snapshot.size, 1)) {
              expect(result.outcome).toBe('failed');
              expect(fresh).toEqual([]);
            } else {
              expect(result.outcome).toBe('complete');
              if (state === null) {
                expect(fresh.map((e) => e.type)).toEqual(['sync.baseline']);
              } else {
                const expected: string[] = [];
                for (const [key, value] of snapshot) {
                  const old = state.get(key);
                  if (!old) expected.push(`item.added ${key}`);
                  else {
                    if (old.status !== value.status) expected.push(`item.status_changed ${key}`);
                    if (old.name !== value.name) expected.push(`item.changed ${key}`);
                  }
                }
                for (const key of state.keys()) if (!snapshot.has(key)) expected.push(`item.removed ${key}`);
                expect(fresh.map((e) => `${e.type} ${e.key}`).sort()).toEqual(expected.sort());
              }
              state = snapshot;
            }
            const stored = await kindAt(db, 'digital99', 'item', new Date(clock().getTime() + 1));
            expect(new Map(stored.map((v) => [v.key, v.data]))).toEqual(state ?? new Map());
          }
          expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([]);
        } finally {
          await db.destroy();
        }
      }),
      { numRuns: 40 },
    );
  });
});
