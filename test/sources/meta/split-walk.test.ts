import fc from 'fast-check';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FilterSemantics, MetaWorld, seedMetaFleet } from '../../../src/simulator/meta.js';
import { type RunningSimulator, startSimulator } from '../../../src/simulator/server.js';
import { MetaClient } from '../../../src/sources/meta/client.js';
import type { WabaPayload } from '../../../src/sources/meta/schemas.js';
import { type Walker, walkWholeEdge } from '../../../src/sources/meta/walk.js';
import { currentEntities, metaHarness } from '../../helpers/meta.js';

// One simulator for the property runs; each run gets a fresh world behind it.
let world = new MetaWorld();
let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ '/meta': (request) => world.handler(request) });
});
afterAll(async () => {
  await sim.close();
});

async function walk(options: { pageSize: number; concurrency: number }): Promise<Map<string, WabaPayload>> {
  const client = new MetaClient({
    graphUrl: sim.urlOf('/meta'),
    apiVersion: 'v25.0',
    accessToken: world.accessToken,
    timeoutMs: 5000,
    retries: 0,
    throttleMaxWaitSeconds: 0,
    slowdownPercent: 80,
    sleep: async () => undefined,
  });
  const walker: Walker = {
    client,
    hooks: {},
    limit: pLimit(options.concurrency),
    pageSize: options.pageSize,
    maxSlices: options.concurrency === 1 ? 1 : options.concurrency * 4,
    failFast: new AbortController(),
  };
  const found = new Map<string, WabaPayload>();
  await walkWholeEdge(walker, { call: 'client_whatsapp_business_accounts', businessId: world.businessId }, async (wabas) => {
    for (const waba of wabas) {
      if (found.has(waba.id)) throw new Error(`${waba.id} delivered twice`);
      found.set(waba.id, waba);
    }
  });
  return found;
}

/** Groups the fake's list requests into cursor chains and checks no chain read a page it didn't need. */
function expectNoWastedPages(pageSize: number): { chains: number; probes: number } {
  const chains = new Map<string, { pages: number; returned: number; ended: boolean }>();
  for (const request of world.listRequests) {
    const key = `${request.sort} ${request.filtering}`;
    const chain = chains.get(key) ?? { pages: 0, returned: 0, ended: false };
    chain.pages += 1;
    chain.returned += request.returned;
    chain.ended = !request.hasNext;
    chains.set(key, chain);
  }
  let probes = 0;
  for (const chain of chains.values()) {
    if (!chain.ended) {
      // A probe: one page read to learn the range, then dropped.
      probes += 1;
      expect(chain.pages).toBe(1);
    } else {
      expect(chain.pages).toBe(Math.max(1, Math.ceil(chain.returned / pageSize)));
    }
  }
  expect(probes).toBeLessThanOrEqual(2);
  return { chains: chains.size, probes };
}

describe('meta: a full listing split into concurrent chains', () => {
  let splitRuns = 0;
  // A narrow range of seconds, so many WABAs share a creation_time and land on slice edges.
  const creationTime = fc.integer({ min: 1_600_000_000, max: 1_600_000_040 });
  it('finds exactly what one sequential chain finds, whatever the creation_times and filter semantics', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(creationTime, { maxLength: 12 }),
          fc.array(creationTime, { minLength: 40, maxLength: 200 }),
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom<FilterSemantics>('documented', 'inclusive', 'exclusive'),
        async (times, pageSize, concurrency, filterSemantics) => {
          world = new MetaWorld({ filterSemantics, maxLimit: 100 });
          world.loadClientWabas(times.map((creation_time) => ({ creation_time })));
          const expected = new Set(world.clients.items.map((waba) => waba.id));

          const sequential = await walk({ pageSize, concurrency: 1 });
          expect(world.listRequests.length).toBe(Math.max(1, Math.ceil(times.length / pageSize)));
          world.listRequests.length = 0;
          const split = await walk({ pageSize, concurrency });
          if (expectNoWastedPages(pageSize).chains > 2) splitRuns += 1;

          expect(new Set(sequential.keys())).toEqual(expected);
          expect(new Map([...split].sort())).toEqual(new Map([...sequential].sort()));
        },
      ),
      { numRuns: 60 },
    );
    // The property is not vacuous: many runs really walked several slices.
    expect(splitRuns).toBeGreaterThan(10);
  });

  it('splits a big fleet into several chains within the bound, each reading only full pages but its last', async () => {
    world = new MetaWorld();
    seedMetaFleet(world, { wabas: 2_000, phonesPerWaba: 0, duplicateShare: 0.2 });
    const found = await walk({ pageSize: 25, concurrency: 4 });
    expect(found.size).toBe(2_000);
    const { chains, probes } = expectNoWastedPages(25);
    expect(probes).toBe(2);
    expect(chains).toBeGreaterThan(4);
    // 2 probes + ceil(n/limit) + at most one partial page per slice.
    expect(world.listRequests.length).toBeLessThanOrEqual(2 + Math.ceil(2_000 / 25) + (chains - 2));
  });

  it('finds WABAs shared during the walk above the probed range, and below it', async () => {
    world = new MetaWorld();
    const seeded = seedMetaFleet(world, { wabas: 300, phonesPerWaba: 0 });
    let injected = false;
    const inner = world.handler;
    const original = world;
    world = Object.assign(Object.create(Object.getPrototypeOf(original)) as MetaWorld, original, {
      handler: (request: Parameters<typeof inner>[0]) => {
        // Once both probes are done, a brand-new WABA and one created before every other appear.
        if (!injected && original.listRequests.length === 2) {
          injected = true;
          original.shareWaba();
          original.shareWaba({ creation_time: 1_000_000_000 });
        }
        return inner(request);
      },
    });
    const found = await walk({ pageSize: 10, concurrency: 3 });
    world = original;
    expect(injected).toBe(true);
    expect(found.size).toBe(seeded.length + 2);
  });
});

describe('meta: split and sequential full pulls store the same thing', () => {
  it('over SQLite, with phone numbers, through the source', async () => {
    const h = await metaHarness({ env: { META_PAGE_SIZE: '10' } });
    seedMetaFleet(h.world, { wabas: 400, phonesPerWaba: 1, owned: 3, duplicateShare: 0.3 });
    const split = await h.sync('full', { META_CONCURRENCY: '4' });
    expect(split).toMatchObject({ outcome: 'complete', baseline: true });
    const splitState = {
      waba: await currentEntities(h.app, 'waba'),
      owned: await currentEntities(h.app, 'owned_waba'),
      phones: await currentEntities(h.app, 'phone_number'),
    };
    expect(splitState.waba.size).toBe(400);
    expect(splitState.phones.size).toBe(400);
    expect(h.world.calls.phone_numbers).toBe(400);

    const sequential = await h.sync('full', { META_CONCURRENCY: '1' });
    expect(sequential).toMatchObject({ outcome: 'complete', events: 0 });
    expect(await currentEntities(h.app, 'waba')).toEqual(splitState.waba);
    expect(await currentEntities(h.app, 'phone_number')).toEqual(splitState.phones);
    expect(await currentEntities(h.app, 'owned_waba')).toEqual(splitState.owned);
  });
});
