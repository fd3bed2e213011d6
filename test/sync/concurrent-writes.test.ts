/**
 * A targeted (webhook) pull and a full pull of one source that overlap: the first to commit wins,
 * the other leaves what the first wrote after it started, so no change is reported twice or
 * backwards, and whatever the loser knew is found by the next pull.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { listEvents } from '../../src/events/query.js';
import { silentLogger } from '../../src/log.js';
import { runSourcePull, runTargetedPull } from '../../src/sync/run-source.js';
import type { Source } from '../../src/sync/types.js';
import { manualClock } from '../helpers/clock.js';
import { tempDbPath } from '../helpers/temp.js';

type World = Map<string, string>;

/** A source over an in-memory world; `pause` runs between reading and returning (another pull commits there). */
function source(world: World, pause: { full?: () => Promise<void>; targeted?: () => Promise<void> } = {}): Source {
  return {
    name: 'digital99',
    supportsIncremental: false,
    kinds: [{ kind: 'item', events: { added: 'item.added', removed: 'item.removed', changed: 'item.changed', fieldEvents: [{ field: 'status', type: 'item.status_changed' }] } }],
    async pull(ctx) {
      const read = [...world].map(([key, status]) => ({ key, data: { status } }));
      await pause.full?.();
      await ctx.stage('item', read);
      return { coverage: { item: 'complete' } };
    },
    async pullTargets(ctx, targets) {
      const read = targets.filter((key) => world.has(key)).map((key) => ({ key, data: { status: world.get(key)! } }));
      await pause.targeted?.();
      await ctx.stage('item', read);
      return { coverage: { item: 'complete' } };
    },
  };
}

async function setup() {
  const db = await openDatabase(tempDbPath());
  const clock = manualClock();
  const deps = { db, clock, log: silentLogger };
  const world: World = new Map([
    ['a', 'old'],
    ['b', 'old'],
  ]);
  await runSourcePull(deps, source(world), 'full');
  clock.advance(60_000);
  const types = async () => (await listEvents(db)).map((event) => `${event.type} ${event.key}`);
  return { db, clock, deps, world, types };
}

describe('a targeted pull beside a full pull', () => {
  it('a change applied by webhook while a full pull that read an older state runs: one event, not reversed by the full pull, not repeated by the next', async () => {
    const { db, deps, world, types } = await setup();
    // The full pull reads 'a' mid-way through a change (and reports it, if it commits first) …
    world.set('a', 'mid');
    let targeted: Promise<unknown> = Promise.resolve();
    const full = runSourcePull(
      deps,
      source(world, {
        full: async () => {
          // … then 'a' moves on, and its webhook is applied first.
          world.set('a', 'new');
          targeted = runTargetedPull(deps, source(world), { targets: ['a'] });
          await targeted;
        },
      }),
      'full',
    );
    expect(await full).toMatchObject({ outcome: 'complete', events: 0 });
    expect(await targeted).toMatchObject({ outcome: 'complete', mode: 'webhook', events: 1 });
    expect(await runSourcePull(deps, source(world), 'full')).toMatchObject({ outcome: 'complete', events: 0 });
    expect(await types()).toEqual(['sync.baseline digital99', 'item.status_changed a']);
    await db.destroy();
  });

  it('a targeted pull that read before a full pull removed the entity leaves the removal standing', async () => {
    const { db, deps, world, types } = await setup();
    let full: Promise<unknown> = Promise.resolve();
    const targeted = runTargetedPull(
      deps,
      source(world, {
        targeted: async () => {
          // The webhook's read saw 'b'; then it is gone and a full pull commits that first.
          world.delete('b');
          full = runSourcePull(deps, source(world), 'full');
          await full;
        },
      }),
      { targets: ['b'] },
    );
    expect(await targeted).toMatchObject({ outcome: 'complete', events: 0 });
    expect(await full).toMatchObject({ outcome: 'complete', events: 1 });
    expect(await runSourcePull(deps, source(world), 'full')).toMatchObject({ events: 0 });
    expect(await types()).toEqual(['sync.baseline digital99', 'item.removed b']);
    await db.destroy();
  });

  it('a targeted pull never removes, and is not run before the source has a baseline', async () => {
    const db = await openDatabase(tempDbPath());
    const deps = { db, clock: manualClock(), log: silentLogger };
    const world: World = new Map([['a', 'x']]);
    expect(await runTargetedPull(deps, source(world), { targets: ['a'] })).toBeNull();
    await runSourcePull(deps, source(world), 'full');
    world.delete('a');
    world.set('c', 'y');
    expect(await runTargetedPull(deps, source(world), { targets: ['a', 'c'] })).toMatchObject({ outcome: 'complete', eventTypes: { 'item.added': 1 } });
    const current = await db.selectFrom('entity_version').select('key').where('valid_to', 'is', null).orderBy('key').execute();
    expect(current.map((row) => row.key)).toEqual(['a', 'c']);
    await db.destroy();
  });
});
