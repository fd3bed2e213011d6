/** getConversationsStatistics over loopback HTTP against the simulator: months, filtering, bad answers. */
import { afterEach, describe, expect, it } from 'vitest';
import { Digital99Client } from '../../../src/sources/digital99/client.js';
import { Digital99World } from '../../../src/simulator/digital99.js';
import { startSimulator } from '../../../src/simulator/server.js';
import { manualClock } from '../../helpers/clock.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function setup() {
  const clock = manualClock('2026-09-10T09:00:00Z');
  const world = new Digital99World({ now: clock });
  const sim = await startSimulator({ '/api': world.handler });
  closers.push(() => sim.close());
  const client = new Digital99Client({ apiUrl: sim.urlOf('/api'), clientId: world.clientId, clientSecret: world.clientSecret, timeoutMs: 5000, retries: 1, retryBaseMs: 5, clock });
  return { clock, world, client };
}

describe('99digital getConversationsStatistics', () => {
  it('returns closed months from the history and the current month live, under the report names', async () => {
    const { clock, world, client } = await setup();
    const a = world.addNumber();
    const b = world.addNumber();
    world.addTraffic(a.whatsapp, { marketing: 3, service: 2, incoming: 1 });
    world.addTraffic(b.whatsapp, { incoming: 4 });
    clock.set('2026-09-30T21:30:00Z'); // October already in Asia/Jerusalem
    world.resetCounters({ closeMonth: '092026' });
    world.addTraffic(b.whatsapp, { service: 5 });

    expect(await client.conversationsStatistics({ start: '082026', end: '102026' })).toEqual([
      { month: '2026-09', conversations: 10, marketing: 3, service: 2, incoming: 5 },
      { month: '2026-10', conversations: 5, marketing: 0, service: 5, incoming: 0 },
    ]);
    expect(await client.conversationsStatistics({ start: '092026', end: '092026', whatsapp: a.whatsapp })).toEqual([
      { month: '2026-09', conversations: 6, marketing: 3, service: 2, incoming: 1 },
    ]);
    expect(world.calls.getConversationsStatistics).toBe(2);
  });

  it('names the call and the field when an answer cannot be read', async () => {
    const { world, client } = await setup();
    world.monthlyHistory.set('092026', new Map([['972500000001', { conversations: 1, marketing: 1, service: 0, incoming: 0 }]]));
    world.inject({ call: 'getConversationsStatistics', kind: 'corrupt', index: 0, field: 'monthYear', value: '2026-09' });
    await expect(client.conversationsStatistics({ start: '092026', end: '092026' })).rejects.toThrow(
      /digital99 getConversationsStatistics: list\[0\] \(monthYear "2026-09"\) field monthYear: expected a month as mmyyyy/,
    );
    world.inject({ call: 'getConversationsStatistics', kind: 'drop_list' });
    await expect(client.conversationsStatistics({ start: '092026', end: '092026' })).rejects.toThrow(/getConversationsStatistics: field list: missing or not an array/);
    await expect(client.conversationsStatistics({ start: '092026', end: '092026', whatsapp: '972599999999' })).rejects.toThrow(
      /getConversationsStatistics: number not in this account \(reason 27\)/,
    );
  });
});
