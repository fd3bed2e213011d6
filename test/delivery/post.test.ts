/**
 * One delivery POST (src/delivery/post.ts) against real loopback receivers: connections are kept
 * for the next delivery, and one the receiver has closed meanwhile costs no failed attempt.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../../src/delivery/post.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function receiver(options: { keepAliveTimeoutMs?: number; closeAfterAnswer?: boolean } = {}) {
  const connections = new Set<string>();
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    connections.add(`${req.socket.remotePort}`);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(204).end();
      // Like a receiver whose idle timeout fired just as the next request was being sent.
      if (options.closeAfterAnswer) setImmediate(() => req.socket.destroy());
    });
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, connections, bodies };
}

describe('delivery POST', () => {
  it('keeps the connection for the next delivery', async () => {
    const r = await receiver();
    for (let i = 0; i < 5; i++) expect(await postJson(r.url, `{"n":${i}}`, {}, 5000)).toMatchObject({ ok: true, status: 204 });
    expect(r.bodies).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(r.connections.size).toBe(1);
  });

  it('a kept connection the receiver closed is not a failed attempt: each body arrives once', async () => {
    const r = await receiver({ closeAfterAnswer: true });
    for (let i = 0; i < 5; i++) {
      expect(await postJson(r.url, `{"n":${i}}`, {}, 5000)).toMatchObject({ ok: true });
      // The receiver's close reaches us (or not yet) before the next POST: either way it must go through.
      if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(r.bodies).toEqual(['{"n":0}', '{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
  });

  it('without resending (chat: a message has no id to tell a repeat by), such a connection is a failed attempt and nothing arrives twice', async () => {
    const r = await receiver({ closeAfterAnswer: true });
    const outcomes = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(await postJson(r.url, `{"n":${i}}`, {}, 5000, undefined, { resendOnReset: false }));
      if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(outcomes.some((outcome) => !outcome.ok)).toBe(true);
    expect(new Set(r.bodies).size).toBe(r.bodies.length);
  });

  it('a header Node refuses to send is a failed attempt, not a crash of the lane', async () => {
    const r = await receiver();
    const outcome = await postJson(r.url, '{}', { 'x-bad': 'a\nb' }, 5000);
    expect(outcome.ok).toBe(false);
    expect(outcome.error).toMatch(/x-bad/i);
    expect(r.bodies).toEqual([]);
  });
});
