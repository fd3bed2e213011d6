import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { type Dialog360World, type SimChannel, seedDialog360 } from '../../../src/simulator/dialog360.js';
import { type Dialog360Harness, dialog360Harness } from '../../helpers/dialog360.js';

/** Pages of a sweep of `total` rows when consecutive pages share one row. */
const pagesFor = (total: number, limit: number) => (total <= limit ? 1 : 1 + Math.ceil((total - limit) / (limit - 1)));

/** The channels oldest first: the order of the default sort (created_at, then id). */
function oldestFirst(world: Dialog360World): SimChannel[] {
  return [...world.channels.values()].sort((a, b) => (a.created_at + a.id < b.created_at + b.id ? -1 : 1));
}

/** The current versions of `kinds` are exactly the simulated fleet's. */
async function expectStoredAsUpstream(h: Dialog360Harness, kinds: readonly ('client' | 'channel')[] = ['channel']): Promise<void> {
  for (const kind of kinds) {
    const upstream = kind === 'channel' ? h.world.channels : h.world.clients;
    expect(await h.storedKeys(kind)).toEqual([...upstream.keys()].sort());
  }
}

/** A sort that does not start with created_at: read by overlapping pages. */
const OVERLAP = { DIALOG360_SORT: '-created_at,-id' };

describe('360dialog: paging a fleet larger than a page', () => {
  it('reads newest first: one page per DIALOG360_PAGE_SIZE rows, each page asked for once the one above it arrived', async () => {
    const h = await dialog360Harness({ latencyMs: 20, env: { DIALOG360_PAGE_SIZE: '10' } });
    seedDialog360(h.world, { clients: 4, channels: 95 });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    await expectStoredAsUpstream(h, ['channel', 'client']);
    const channelPages = h.world.pageRequests.filter((r) => r.list === 'channels');
    // The newest ten by the reversed sort, then downwards from the oldest row's side: 85, 75, … 5, and the first 5.
    expect(channelPages.map((r) => [r.sort.join(','), r.offset, r.limit])).toEqual([
      ['-created_at,-id', 0, 10],
      ...[75, 65, 55, 45, 35, 25, 15, 5].map((offset) => ['created_at,id', offset, 10]),
      ['created_at,id', 0, 5],
    ]);
    expect(result.apiCalls).toBe(1 + 10); // 4 clients fit one page: ceil(95 / 10) for the channels, no overlap
    // One request per list at a time; the two lists side by side.
    expect(h.world.maxInFlightOf).toEqual({ clients: 1, channels: 1 });
    expect(h.world.maxInFlight).toBe(2);
  });

  it('reads the lists one after the other when DIALOG360_CONCURRENCY is 1', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10', DIALOG360_CONCURRENCY: '1' } });
    seedDialog360(h.world, { clients: 25, channels: 30 });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'complete', apiCalls: 3 + 3 });
    expect(h.world.maxInFlight).toBe(1);
    expect(h.world.pageRequests.map((r) => r.list)).toEqual(['clients', 'clients', 'clients', 'channels', 'channels', 'channels']);
  });

  it('reads every channel over overlapping pages, with bounded concurrency, when the sort does not start with created_at', async () => {
    const h = await dialog360Harness({ latencyMs: 40, env: { ...OVERLAP, DIALOG360_PAGE_SIZE: '10', DIALOG360_CONCURRENCY: '3' } });
    seedDialog360(h.world, { clients: 4, channels: 95 });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    await expectStoredAsUpstream(h, ['channel', 'client']);
    const channelPages = h.world.pageRequests.filter((r) => r.list === 'channels');
    expect(channelPages).toHaveLength(pagesFor(95, 10)); // 11: offsets 0, 9, 18, … 90
    expect(channelPages.map((r) => r.offset).sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i * 9));
    expect(channelPages.every((r) => r.limit === 10 && r.sort.join(',') === '-created_at,-id')).toBe(true);
    expect(result.apiCalls).toBe(1 + 11);
    // The remaining pages were read side by side, never more than DIALOG360_CONCURRENCY at once.
    expect(h.world.maxInFlight).toBeGreaterThan(1);
    expect(h.world.maxInFlight).toBeLessThanOrEqual(3);
  });

  it.each([
    ['newest first', {}, Math.ceil(23 / 4)],
    ['overlapping pages', OVERLAP, pagesFor(23, 4)],
  ])('pages by the size the server says it used when it caps the limit (%s)', async (_mode, env, pages) => {
    const h = await dialog360Harness({ maxLimit: 4, env: { ...env, DIALOG360_PAGE_SIZE: '10' } });
    seedDialog360(h.world, { clients: 2, channels: 23 });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    await expectStoredAsUpstream(h);
    expect(h.world.pageRequests.filter((r) => r.list === 'channels')).toHaveLength(pages);
  });

  it('a sort on created_at alone, whose ties the reversed sort may break another way, reads overlapping pages', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10', DIALOG360_SORT: 'created_at' } });
    const client = h.world.addClient().id;
    for (let i = 0; i < 25; i++) h.world.addChannel({ client_id: client, created_at: '2026-01-01T00:00:00.000Z' });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    await expectStoredAsUpstream(h);
    expect(h.world.pageRequests.filter((r) => r.list === 'channels').every((r) => r.sort.join(',') === 'created_at')).toBe(true);
  });

  it('reads a list that is not in created_at order by overlapping pages instead, without counting it as a sweep', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10', DIALOG360_SWEEP_ATTEMPTS: '1' } });
    seedDialog360(h.world, { clients: 2, channels: 25 });
    // A channel without a creation time: nothing says where the upstream sorts it.
    h.world.addChannel({ created_at: null as unknown as string });

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    await expectStoredAsUpstream(h);
    expect(h.progress.some((line) => line.startsWith('channels: not in created_at order') && line.includes('reading it with overlapping pages'))).toBe(true);
    expect(result.entities).toBe((await h.storedKeys('client')).length + 26);
  });
});

describe('360dialog: the fleet changing while a newest-first sweep is under way', () => {
  /** After a baseline, one pull during which `change` happens as the second channels page is asked for. */
  async function pullWhile(change: (world: Dialog360World) => void) {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10' } });
    seedDialog360(h.world, { clients: 3, channels: 45 });
    await h.sync();
    const before = new Set(h.world.channels.keys());
    let requests = 0;
    let during = new Set<string>();
    h.world.onPageRequest((request) => {
      if (request.list === 'channels' && ++requests === 2) {
        change(h.world);
        during = new Set(h.world.channels.keys());
      }
    });
    const result = await h.sync();
    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId).map((e) => `${e.type} ${e.key}`);
    return { h, result, before, during, events, requests: () => requests };
  }

  it('a channel removed from a page still to read: no row is missed, the list is not read again, the removal is reported', async () => {
    let victim = '';
    const { h, result, events, requests } = await pullWhile((world) => {
      victim = oldestFirst(world)[1]!.id;
      world.removeChannel(victim);
    });
    expect(result.outcome).toBe('complete');
    expect(requests()).toBe(5); // ceil(45 / 10): read once
    await expectStoredAsUpstream(h);
    expect(events).toEqual([`channel.removed ${victim}`]);
  });

  it('a channel removed from a page already read and another from one still to read: both reported, nothing else', async () => {
    const gone: string[] = [];
    const { h, result, events } = await pullWhile((world) => {
      const order = oldestFirst(world);
      gone.push(order[44]!.id, order[3]!.id);
      for (const id of gone) world.removeChannel(id);
    });
    expect(result.outcome).toBe('complete');
    // The newest one was read before it went: it is reported removed in the next pull.
    expect(events).toEqual([`channel.removed ${gone[1]}`]);
    expect(await h.storedKeys('channel')).toEqual([...h.world.channels.keys(), gone[0]!].sort());
    const next = await h.sync();
    const nextEvents = (await listEvents(h.app.db)).filter((e) => e.run_id === next.runId).map((e) => `${e.type} ${e.key}`);
    expect(nextEvents).toEqual([`channel.removed ${gone[0]}`]);
  });

  it('a channel created at the top: the sweep stands only if nothing else moved; it is read again and the channel reported once', async () => {
    let created = '';
    const { h, result, events, requests } = await pullWhile((world) => {
      created = world.addChannel().id;
    });
    expect(result.outcome).toBe('complete');
    // Total rose on the second page: the sweep stopped there (the third, asked for ahead, is
    // cancelled, perhaps before it reached the server), then the list was read again whole.
    expect(requests()).toBeGreaterThanOrEqual(2 + 5);
    expect(requests()).toBeLessThanOrEqual(3 + 5);
    expect(h.progress.some((line) => line.includes('total rose from 45 to 46'))).toBe(true);
    expect(events.filter((e) => e.startsWith('channel.'))).toEqual([`channel.added ${created}`]);
    await expectStoredAsUpstream(h);
  });

  it('a channel stamped with an older created_at lands below the pages read: read again, never a channel reported removed', async () => {
    let created = '';
    const { h, result, events } = await pullWhile((world) => {
      created = world.addChannel({ created_at: '2000-01-01T00:00:00.000Z' }).id;
    });
    expect(result.outcome).toBe('complete');
    expect(events.filter((e) => e.startsWith('channel.'))).toEqual([`channel.added ${created}`]);
    await expectStoredAsUpstream(h);
  });

  it('one channel removed and one created at once (total unchanged): read again by overlapping pages, both reported', async () => {
    let removed = '';
    let created = '';
    const { h, result, events } = await pullWhile((world) => {
      removed = oldestFirst(world)[0]!.id;
      world.removeChannel(removed);
      created = world.addChannel({ client_id: [...world.clients.keys()][0] }).id;
    });
    expect(result.outcome).toBe('complete');
    // The removal brought a row down into the page below (read twice) while total stayed 45.
    expect(h.progress.some((line) => line.includes('1 rows read twice while total stayed 45') && line.includes('reading it with overlapping pages'))).toBe(true);
    expect(events.sort()).toEqual([`channel.added ${created}`, `channel.removed ${removed}`].sort());
    await expectStoredAsUpstream(h);
  });

  it('fails without any event when channels keep being created on every sweep', async () => {
    const h = await dialog360Harness({ env: { DIALOG360_PAGE_SIZE: '10', DIALOG360_SWEEP_ATTEMPTS: '2' } });
    seedDialog360(h.world, { clients: 3, channels: 30 });
    await h.sync();
    const stored = await h.storedKeys('channel');
    h.world.onPageRequest((request) => {
      if (request.list === 'channels' && request.sort[0] === 'created_at') h.world.addChannel({ client_id: [...h.world.clients.keys()][0] });
    });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'failed', errorCode: 'INCONSISTENT', events: 0 });
    expect(result.error).toMatch(/^dialog360 listChannels: the list kept changing while it was read, 2 sweeps \(DIALOG360_SWEEP_ATTEMPTS\): sweep 1: total rose from 30 to 31/);
    expect((await listEvents(h.app.db)).filter((e) => e.run_id === result.runId)).toEqual([]);
    expect(await h.storedKeys('channel')).toEqual(stored); // nothing looks deleted
  });
});

describe('360dialog: the fleet changing while an overlapping sweep is under way', () => {
  /** The channels in the order of OVERLAP's sort: newest first. */
  const inSortOrder = (world: Dialog360World) => oldestFirst(world).reverse();
  const cases: [string, (world: Dialog360World) => void][] = [
    [
      // total stays the same: only the page boundaries show that rows moved.
      'one channel deleted from the first page and one created at the end',
      (world) => {
        world.removeChannel(inSortOrder(world)[0]!.id);
        world.addChannel({ created_at: '2000-01-01T00:00:00.000Z' });
      },
    ],
    ['one channel deleted from the first page', (world) => world.removeChannel(inSortOrder(world)[1]!.id)],
    ['one channel created before the rows still to read', (world) => world.addChannel()],
  ];

  it.each(cases)('%s: reads again and reports only what really changed', async (_name, change) => {
    const h = await dialog360Harness({ env: { ...OVERLAP, DIALOG360_PAGE_SIZE: '10' } });
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
    expect(events.filter((e) => e.type.startsWith('channel.')).map((e) => `${e.type} ${e.key}`).sort()).toEqual(expected.sort());
  });

  it('fails without any event when the list keeps changing on every sweep', async () => {
    const h = await dialog360Harness({ env: { ...OVERLAP, DIALOG360_PAGE_SIZE: '10', DIALOG360_SWEEP_ATTEMPTS: '2' } });
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
