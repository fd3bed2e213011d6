import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { type Dialog360World, type SimChannel, seedDialog360 } from '../../../src/simulator/dialog360.js';
import { dialog360Harness } from '../../helpers/dialog360.js';

/** Pages of a sweep of `total` rows when consecutive pages share one row. */
const pagesFor = (total: number, limit: number) => (total <= limit ? 1 : 1 + Math.ceil((total - limit) / (limit - 1)));

/** The channels in the order the source asks for (created_at, then id). */
function inSortOrder(world: Dialog360World): SimChannel[] {
  return [...world.channels.values()].sort((a, b) => (a.created_at + a.id < b.created_at + b.id ? -1 : 1));
}

describe('360dialog: paging a fleet larger than a page', () => {
  it('reads every channel over overlapping pages, with bounded concurrency', async () => {
    const h = await dialog360Harness({ latencyMs: 40, env: { DIALOG360_PAGE_SIZE: '10', DIALOG360_CONCURRENCY: '3' } });
    seedDialog360(h.world, { clients: 4, channels: 95 });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    expect(await h.storedKeys('channel')).toEqual([...h.world.channels.keys()].sort());
    expect(await h.storedKeys('client')).toEqual([...h.world.clients.keys()].sort());
    const channelPages = h.world.pageRequests.filter((r) => r.list === 'channels');
    expect(channelPages).toHaveLength(pagesFor(95, 10)); // 11: offsets 0, 9, 18, … 90
    expect(channelPages.map((r) => r.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i * 9));
    expect(channelPages.every((r) => r.limit === 10 && r.sort.join(',') === 'created_at,id')).toBe(true);
    expect(result.apiCalls).toBe(1 + 11); // 4 clients fit one page
    // The remaining pages were read side by side, never more than DIALOG360_CONCURRENCY at once.
    expect(h.world.maxInFlight).toBeGreaterThan(1);
    expect(h.world.maxInFlight).toBeLessThanOrEqual(3);
  });

  it('pages by the size the server says it used when it caps the limit', async () => {
    const h = await dialog360Harness({ maxLimit: 4, env: { DIALOG360_PAGE_SIZE: '10' } });
    seedDialog360(h.world, { clients: 2, channels: 23 });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    expect(await h.storedKeys('channel')).toHaveLength(23);
    expect(h.world.pageRequests.filter((r) => r.list === 'channels')).toHaveLength(pagesFor(23, 4));
  });
});

describe('360dialog: the fleet changing while a sweep is under way', () => {
  const cases: [string, (world: Dialog360World) => void][] = [
    [
      // total stays the same: only the page boundaries show that rows moved.
      'one channel deleted from the first page and one created at the end',
      (world) => {
        world.removeChannel(inSortOrder(world)[0]!.id);
        world.addChannel();
      },
    ],
    ['one channel deleted from the first page', (world) => world.removeChannel(inSortOrder(world)[1]!.id)],
    ['one channel created before the rows still to read', (world) => world.addChannel({ created_at: '2000-01-01T00:00:00.000Z' })],
  ];

  it.each(cases)('%s: reads again and reports only what really changed', async (_name, change) => {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10' } });
    seedDialog360(h.world, { clients: 3, channels: 45 });
    await h.sync();
    const before = new Set(h.world.channels.keys());
    let changed = false;
    h.world.onPageRequest((request) => {
      if (request.list === 'channels' && request.offset > 0 && !changed) {
        changed = true;
        change(h.world);
      }
    });
    const sweepsBefore = h.world.pagesAt('channels', 0);

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    expect(h.world.pagesAt('channels', 0) - sweepsBefore).toBe(2); // read again
    expect(h.progress.some((line) => line.includes('the list changed while it was read'))).toBe(true);
    // The stored fleet is the fleet as it now is; the events are exactly the real changes.
    const after = new Set(h.world.channels.keys());
    expect(await h.storedKeys('channel')).toEqual([...after].sort());
    // The discarded sweep's rows were staged and thrown away: each entity counts once.
    expect(result.entities).toBe((await h.storedKeys('client')).length + after.size);
    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId);
    const expected = [
      ...[...before].filter((id) => !after.has(id)).map((id) => `channel.removed ${id}`),
      ...[...after].filter((id) => !before.has(id)).map((id) => `channel.added ${id}`),
    ];
    expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual(expected.sort());
  });

  it('fails without any event when the list keeps changing on every sweep', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10', DIALOG360_SWEEP_ATTEMPTS: '2' } });
    seedDialog360(h.world, { clients: 3, channels: 30 });
    await h.sync();
    const stored = await h.storedKeys('channel');
    h.world.onPageRequest((request) => {
      if (request.list === 'channels' && request.offset > 0) h.world.removeChannel(inSortOrder(h.world)[0]!.id);
    });
    const sweepsBefore = h.world.pagesAt('channels', 0);

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'INCONSISTENT', events: 0 });
    expect(result.error).toMatch(/^dialog360 listChannels: the list kept changing while it was read, 2 sweeps \(DIALOG360_SWEEP_ATTEMPTS\)/);
    expect(h.world.pagesAt('channels', 0) - sweepsBefore).toBe(2);
    expect((await listEvents(h.app.db)).filter((e) => e.run_id === result.runId)).toEqual([]);
    expect(await h.storedKeys('channel')).toEqual(stored); // nothing looks deleted
  });
});
