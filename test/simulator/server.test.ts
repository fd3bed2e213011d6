import { afterEach, describe, expect, it } from 'vitest';
import got from 'got';
import { type ObservedRequest, type RunningSimulator, startSimulator } from '../../src/simulator/server.js';

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('startSimulator', () => {
  it('shows its observer each request as sent (mount, method, path and query, headers, body) before the fake answers it', async () => {
    const seen: ObservedRequest[] = [];
    const answeredAfter: number[] = [];
    sim = await startSimulator(
      {
        '/api': () => {
          answeredAfter.push(seen.length);
          return { status: 200, body: { ok: true } };
        },
        '/other': () => ({ status: 200, body: {} }),
      },
      0,
      { observe: (request) => seen.push(request) },
    );
    await got.post(`${sim.urlOf('/api')}/settings/accessToken?grant=1&grant=2`, { headers: { authorization: 'Bearer t' }, json: { client_id: 'c' } });
    await got(`${sim.urlOf('/other')}/x`);
    await got(`${sim.url}/nowhere`, { throwHttpErrors: false });

    expect(seen.map(({ prefix, method, url, body }) => ({ prefix, method, url, body }))).toEqual([
      { prefix: '/api', method: 'POST', url: '/api/settings/accessToken?grant=1&grant=2', body: '{"client_id":"c"}' },
      { prefix: '/other', method: 'GET', url: '/other/x', body: '' },
    ]);
    expect(seen[0]!.headers).toMatchObject({ authorization: 'Bearer t', 'content-type': 'application/json' });
    expect(answeredAfter).toEqual([1]);
  });
});
