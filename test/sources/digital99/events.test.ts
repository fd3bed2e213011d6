import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { digital99Harness } from '../../helpers/digital99.js';

describe('99digital: baseline and every event type', () => {
  it('stores the first complete pull as a baseline with one sync.baseline event', async () => {
    const h = await digital99Harness();
    for (let i = 0; i < 3; i++) h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    h.world.addOnboarding({ coexistence: 1 });

    const result = await h.sync();

    expect(result).toMatchObject({ outcome: 'complete', baseline: true, events: 1 });
    const events = await listEvents(h.app.db);
    expect(events.map((e) => [e.type, e.key])).toEqual([['sync.baseline', 'digital99']]);
    expect(events[0]!.after).toEqual({ entities: { onboarding: 4, number: 3, number_counters: 3 } });
  });

  it('reports each kind of change once, as its own event type', async () => {
    const h = await digital99Harness();
    const plain = h.world.addOnboarding({ business_name: 'Acme inc' });
    const coexist = h.world.addOnboarding({ coexistence: 1, business_name: 'Bakery', reference: 'crm-1' });
    const doomed = h.world.addOnboarding();
    const live = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    const leaving = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    await h.sync();
    const temporary = coexist.whatsapp;
    expect(temporary.startsWith('97257')).toBe(true);

    h.world.finishOnboarding(plain.onboarding_link);
    h.world.finishOnboarding(coexist.onboarding_link, { realNumber: '972541112233' });
    h.world.deleteOnboarding(doomed.onboarding_link);
    const fresh = h.world.addOnboarding();
    const oldName = live.display_name;
    h.world.onboarding(live.onboarding_link).display_name = 'Renamed';
    h.world.rotateApiKey(live.whatsapp);
    h.world.updateNumber(live.whatsapp, { isOnline: 0 });
    h.world.removeNumber(leaving.whatsapp);
    const result = await h.sync();

    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId);
    const summary = events.map((e) =>
      e.type === 'number.api_key_rotated' ? `${e.type} ${e.key} {"apiKeyFingerprint":"…"}` : `${e.type} ${e.key} ${JSON.stringify(e.changes)}`,
    );
    expect([...summary].sort()).toEqual([
      `onboarding.completed ${plain.onboarding_link} {"status":{"from":0,"to":1}}`,
      `onboarding.completed ${coexist.onboarding_link} {"status":{"from":0,"to":1}}`,
      `onboarding.number_swapped ${coexist.onboarding_link} {"whatsapp":{"from":"${temporary}","to":"972541112233"}}`,
      `onboarding.removed ${doomed.onboarding_link} null`,
      `onboarding.changed ${live.onboarding_link} {"display_name":{"from":"${oldName}","to":"Renamed"}}`,
      `onboarding.created ${fresh.onboarding_link} null`,
      `number.added ${h.world.onboarding(plain.onboarding_link).whatsapp} null`,
      `number.api_key_rotated ${live.whatsapp} {"apiKeyFingerprint":"…"}`,
      `number.changed ${live.whatsapp} {"isOnline":{"from":1,"to":0}}`,
      `number.removed ${leaving.whatsapp} null`,
      `number.added 972541112233 null`,
    ].sort());
    // Onboardings are reported before numbers: a finished onboarding, then its number appearing.
    const types = events.map((e) => e.type);
    expect(types.findLastIndex((t) => t.startsWith('onboarding.'))).toBeLessThan(types.findIndex((t) => t.startsWith('number.')));
    expect(types.indexOf('onboarding.completed')).toBeLessThan(types.indexOf('onboarding.number_swapped'));
    const rotated = events.find((e) => e.type === 'number.api_key_rotated')!;
    expect(rotated.changes!.apiKeyFingerprint!.from).not.toEqual(rotated.changes!.apiKeyFingerprint!.to);
    const swap = events.find((e) => e.type === 'onboarding.number_swapped')!;
    expect(swap.before).toMatchObject({ whatsapp: temporary, business_name: 'Bakery', reference: 'crm-1' });
    expect(swap.after).toMatchObject({ whatsapp: '972541112233', status: 1 });
  });

  it('a coexistence swap to a real number that itself starts with 97257 (an Israeli 057 number) is still the swap', async () => {
    const h = await digital99Harness();
    const coexist = h.world.addOnboarding({ coexistence: 1 });
    await h.sync();
    const temporary = coexist.whatsapp;
    h.world.finishOnboarding(coexist.onboarding_link, { realNumber: '972571234567' });
    const result = await h.sync();
    const events = (await listEvents(h.app.db)).filter((e) => e.run_id === result.runId && e.type.startsWith('onboarding.'));
    expect(events.map((e) => `${e.type} ${JSON.stringify(e.changes)}`).sort()).toEqual(
      [`onboarding.completed {"status":{"from":0,"to":1}}`, `onboarding.number_swapped {"whatsapp":{"from":"${temporary}","to":"972571234567"}}`].sort(),
    );
  });

  it('reads ids, flags and counters whether they arrive as numbers or strings, without false changes', async () => {
    const h = await digital99Harness();
    const item = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    await h.sync();
    const loose = h.world.onboarding(item.onboarding_link) as unknown as Record<string, unknown>;
    loose.status = '1';
    loose.coexistence = '0';
    loose.create_time = String(loose.create_time);
    loose.business_id = Number(loose.business_id);
    const number = h.world.number(item.whatsapp) as unknown as Record<string, unknown>;
    number.whatsapp = Number(number.whatsapp);
    number.conversationsThisMonth = '0';
    number.isOnline = true;
    const result = await h.sync();
    expect(result).toMatchObject({ outcome: 'complete', events: 0 });
  });

  it('optional text fields may be missing or null; a missing key is not a pull failure', async () => {
    const h = await digital99Harness();
    const item = h.world.addOnboarding();
    const loose = h.world.onboarding(item.onboarding_link) as unknown as Record<string, unknown>;
    delete loose.business_email;
    delete loose.reference;
    loose.landing_page = null;
    const result = await h.sync();
    expect(result.outcome).toBe('complete');
    const [event] = await listEvents(h.app.db);
    expect(event!.type).toBe('sync.baseline');
    const { entityAt } = await import('../../../src/history.js');
    const stored = await entityAt(h.app.db, { source: 'digital99', kind: 'onboarding', key: item.onboarding_link }, h.clock());
    expect(stored?.data).toMatchObject({ business_email: null, reference: null, landing_page: null });
  });
});
