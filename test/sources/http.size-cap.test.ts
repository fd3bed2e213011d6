/**
 * HTTP_MAX_RESPONSE_BYTES: an upstream answer larger than the cap fails the pull naming the call and
 * the limit, and is cut off while it streams in rather than read whole first.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/query.js';
import { metaHarness } from '../helpers/meta.js';

const servers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!();
});

const MB = 1024 * 1024;

/** A Graph-shaped answer that never ends on its own: chunked, no Content-Length, `total` bytes at most. */
async function endlessListServer(total: number): Promise<{ url: string; sent: () => number; closedEarly: Promise<boolean> }> {
  let sent = 0;
  let settle: (early: boolean) => void = () => undefined;
  const closedEarly = new Promise<boolean>((resolve) => (settle = resolve));
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    let wake: () => void = () => undefined;
    res.on('close', () => {
      settle(sent < total);
      wake();
    });
    const chunk = Buffer.from(`${'{"id":"1","name":"padding"},'.repeat(2340)}`);
    res.write('{"data":[');
    while (sent < total && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once('drain', resolve);
        });
      }
    }
    res.end('{"id":"2"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent: () => sent, closedEarly };
}

describe('HTTP_MAX_RESPONSE_BYTES', () => {
  it('a streamed answer over the cap fails the pull naming the call and the limit, and is not read to its end', async () => {
    const h = await metaHarness({ env: { HTTP_MAX_RESPONSE_BYTES: String(MB) } });
    h.world.shareWaba();
    expect((await h.sync()).outcome).toBe('complete');
    const eventsBefore = await listEvents(h.app.db);
    const upstream = await endlessListServer(200 * MB);

    const result = await h.sync('full', { META_GRAPH_URL: upstream.url });

    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/^meta client_whatsapp_business_accounts.* page 1: the response is larger than 1048576 bytes \(HTTP_MAX_RESPONSE_BYTES\)/);
    expect(await upstream.closedEarly).toBe(true);
    expect(upstream.sent()).toBeLessThan(200 * MB);
    expect(await listEvents(h.app.db)).toEqual(eventsBefore);
  });

  it('an answer whose Content-Length is over the cap is refused as it starts', async () => {
    const h = await metaHarness({ env: { HTTP_MAX_RESPONSE_BYTES: '4096' } });
    h.world.shareWaba({ name: 'x'.repeat(8192) });
    const result = await h.sync();
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatch(/the response is larger than 4096 bytes \(HTTP_MAX_RESPONSE_BYTES\)/);
  });

  it('the default is far above a real page', async () => {
    const h = await metaHarness();
    for (let i = 0; i < 50; i++) h.world.shareWaba();
    expect((await h.sync()).outcome).toBe('complete');
  });
});
