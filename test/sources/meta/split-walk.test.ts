import fc from 'fast-check';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FilterSemantics, MetaWorld, seedMetaFleet } from '../../../src/simulator/meta.js';
import { type RunningSimulator, startSimulator } from '../../../src/simulator/server.js';
import { MetaClient } from '../../../src/sources/meta/client.js';
import { PhoneNumberReader } from '../../../src/sources/meta/phone-numbers.js';
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

interface Walked {
  wabas: Map<string, unknown>;
  /** Phone number id → its WABA id, when numbers were expanded. */
  phones: Map<string, string>;
}

async function walkAll(options: { pageSize: number; concurrency: number; phonesLimit?: number }): Promise<Walked> {
  const client = new MetaClient({
    graphUrl: sim.urlOf('/meta'),
    apiVersion: 'v25.0',
    accessToken: world.accessToken,
    timeoutMs: 5000,
    retries: 0,
    throttleMaxWaitSeconds: 0,
    slowdownPercent: 80,
    maxEmptyPages: 10,
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
  const found = new Map<string, unknown>();
  const phones = new Map<string, string>();
  const reader = new PhoneNumberReader(walker, { recordCheck: (finding) => expect.fail(`unexpected check ${JSON.stringify(finding)}`) }, options.phonesLimit ?? 1);
  const edge = { call: 'client_whatsapp_business_accounts', businessId: world.businessId, phoneNumbersLimit: options.phonesLimit ?? null } as const;
  await walkWholeEdge(walker, edge, async (listed) => {
    for (const { id, entity } of listed) {
      if (found.has(id)) throw new Error(`${id} delivered twice`);
      found.set(id, JSON.parse(entity.text));
    }
    for (const record of await reader.read(listed)) {
      if (phones.has(record.key)) throw new Error(`phone number ${record.key} staged twice`);
      phones.set(record.key, String(JSON.parse(record.text).waba_id));
    }
  });
  return { wabas: found, phones };
}

async function walk(options: { pageSize: number; concurrency: number }): Promise<Map<string, unknown>> {
  return (await walkAll(options)).wabas;
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
  it('finds exactly what one sequential chain finds, phone numbers included, whatever the creation_times and filter semantics', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(creationTime, { maxLength: 12 }),
          fc.array(creationTime, { minLength: 40, maxLength: 200 }),
        ),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 2, max: 5 }),
        fc.constantFrom<FilterSemantics>('documented', 'inclusive', 'exclusive'),
        fc.integer({ min: 1, max: 3 }),
        // Numbers per WABA, cycled over the WABAs: mostly none or one, sometimes several nested pages.
        fc.array(fc.constantFrom(0, 0, 1, 1, 2, 5), { minLength: 1, maxLength: 10 }),
        async (times, pageSize, concurrency, filterSemantics, phonesLimit, phoneCounts) => {
          world = new MetaWorld({ filterSemantics, maxLimit: 100 });
          const wabas = world.loadClientWabas(times.map((creation_time) => ({ creation_time })));
          const expectedPhones = new Map<string, string>();
          let furtherPages = 0;
          wabas.forEach((waba, i) => {
            const count = phoneCounts[i % phoneCounts.length]!;
            for (let p = 0; p < count; p++) expectedPhones.set(world.addPhoneNumber(waba.id).id, waba.id);
            furtherPages += Math.max(0, Math.ceil(count / phonesLimit) - 1);
          });
          const expected = new Set(world.clients.items.map((waba) => waba.id));

          const sequential = await walkAll({ pageSize, concurrency: 1, phonesLimit });
          expect(world.listRequests.length).toBe(Math.max(1, Math.ceil(times.length / pageSize)));
          expect(world.calls.phone_numbers).toBe(furtherPages);
          world.listRequests.length = 0;
          world.calls.phone_numbers = 0;
          const split = await walkAll({ pageSize, concurrency, phonesLimit });
          if (expectNoWastedPages(pageSize).chains > 2) splitRuns += 1;
          // Numbers of a WABA delivered once are read once: no further page read twice.
          expect(world.calls.phone_numbers).toBe(furtherPages);

          expect(new Set(sequential.wabas.keys())).toEqual(expected);
          expect(new Map([...split.wabas].sort())).toEqual(new Map([...sequential.wabas].sort()));
          expect(sequential.phones).toEqual(expectedPhones);
          expect(split.phones).toEqual(expectedPhones);
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
    // One number each: all came nested in the list pages.
    expect(h.world.calls.phone_numbers).toBe(0);

    const sequential = await h.sync('full', { META_CONCURRENCY: '1' });
    expect(sequential).toMatchObject({ outcome: 'complete', events: 0 });
    expect(await currentEntities(h.app, 'waba')).toEqual(splitState.waba);
    expect(await currentEntities(h.app, 'phone_number')).toEqual(splitState.phones);
    expect(await currentEntities(h.app, 'owned_waba')).toEqual(splitState.owned);
  });
});
