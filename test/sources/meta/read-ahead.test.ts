/**
 * A chain read to its end asks for its next page before handing the current one over, so the
 * round trip overlaps with the work on the page; a chain that may stop early (a probe) does not,
 * and costs no call it doesn't use.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MetaWorld } from '../../../src/simulator/meta.js';
import { type RunningSimulator, startSimulator } from '../../../src/simulator/server.js';
import { MetaClient } from '../../../src/sources/meta/client.js';
import { type PageReader, inlinePages } from '../../../src/sources/page-tasks.js';

const WABAS = { kind: 'wabas', expanded: false } as const;

let simulator: RunningSimulator | null = null;
afterEach(async () => {
  await simulator?.close();
  simulator = null;
});

async function listing(wabas: number, pages?: PageReader) {
  const world = new MetaWorld({ latencyMs: 5 });
  for (let i = 0; i < wabas; i++) world.shareWaba({ creation_time: 1_700_000_000 + i });
  simulator = await startSimulator({ '/meta': world.handler });
  const client = new MetaClient({
    pages,
    graphUrl: simulator.urlOf('/meta'),
    apiVersion: 'v25.0',
    accessToken: world.accessToken,
    timeoutMs: 5000,
    retries: 0,
    throttleMaxWaitSeconds: 60,
    slowdownPercent: 90,
    maxEmptyPages: 5,
  });
  const request = (readAhead: boolean) => ({ call: 'client_whatsapp_business_accounts', items: WABAS, readAhead, path: `${world.businessId}/client_whatsapp_business_accounts`, params: { fields: 'id', limit: '2' } });
  const listed = () => world.calls.client_whatsapp_business_accounts;
  return { client, request, listed, world };
}

/** Waits (bounded) for the fake to have received `n` list requests; false when it never does. */
async function received(listed: () => number, n: number): Promise<boolean> {
  for (let i = 0; i < 200 && listed() < n; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return listed() >= n;
}

describe('meta: reading ahead in a cursor chain', () => {
  it('with readAhead, the next page is already asked while the consumer holds this one; every page arrives once, in order', async () => {
    const { client, request, listed } = await listing(5);
    const ids: string[] = [];
    const askedAhead: boolean[] = [];
    for await (const page of client.pages(request(true), {})) {
      ids.push(...page.content.wabas!.rows.keys);
      if (page.hasNext) askedAhead.push(await received(listed, page.page + 1));
    }
    expect(askedAhead).toEqual([true, true]);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(listed()).toBe(3);
  });

  it('without it, the chain asks nothing until the consumer comes back, so a probe that stops after one page costs one call', async () => {
    const { client, request, listed } = await listing(5);
    const chain = client.pages(request(false), {});
    const first = await chain.next();
    expect(first.done).toBe(false);
    expect(await received(listed, 2)).toBe(false);
    await chain.return(undefined);
    expect(listed()).toBe(1);
  });

  it("a next page's link is judged only when the chain goes there: a probe that stops after one page never fails on it, a chain that goes on does", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: '1' }], paging: { next: 'https://elsewhere.example/v25.0/1/client_whatsapp_business_accounts?after=x' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = new MetaClient({
        graphUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        apiVersion: 'v25.0',
        accessToken: 'token',
        timeoutMs: 5000,
        retries: 0,
        throttleMaxWaitSeconds: 60,
        slowdownPercent: 90,
        maxEmptyPages: 5,
      });
      const request = (readAhead: boolean) => ({ call: 'client_whatsapp_business_accounts', items: WABAS, readAhead, path: '1/client_whatsapp_business_accounts', params: {} });
      for (const readAhead of [false, true]) {
        const chain = client.pages(request(readAhead), {});
        const first = await chain.next();
        expect(first.value).toMatchObject({ page: 1, content: { wabas: { rows: { keys: ['1'] } } } });
        if (readAhead) await expect(chain.next()).rejects.toThrow(/paging.next points outside META_GRAPH_URL/);
        else await chain.return(undefined);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a read-ahead chain stopped early abandons the page asked ahead without failing anything', async () => {
    const { client, request } = await listing(5);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const chain = client.pages(request(true), {});
      expect((await chain.next()).done).toBe(false);
      await chain.return(undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('with readAhead, the next page is asked as soon as a page says where it leads, while its items are still being read', async () => {
    // A page reader that tells the head, then holds the items until released.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: PageReader = {
      read: async (task, text, params, early) => {
        const page = await inlinePages.read(task, text, params, early);
        await held;
        return page;
      },
    };
    const { client, request, listed } = await listing(5, slow);
    const chain = client.pages(request(true), {});
    const first = chain.next();
    expect(await received(listed, 2)).toBe(true);
    release();
    expect((await first).value).toMatchObject({ page: 1, hasNext: true });
    await chain.return(undefined);
  });

  it("a page whose items fail fails with its own error, even when the page it leads to was asked for already", async () => {
    const { client, request, world } = await listing(5);
    world.inject({ call: 'client_whatsapp_business_accounts', kind: 'corrupt', index: 0, field: 'id', value: { not: 'an id' } });
    const chain = client.pages(request(true), {});
    await expect(chain.next()).rejects.toThrow(/^meta client_whatsapp_business_accounts page 1: data\[0\]/);
  });
});
