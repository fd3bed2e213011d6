import { describe, expect, it } from 'vitest';
import { listEvents } from '../../../src/events/query.js';
import { entityAt, entityHistory } from '../../../src/history.js';
import { digital99Harness } from '../../helpers/digital99.js';
import { storedText } from '../../helpers/stored-bytes.js';

describe('99digital: counters are history, not events', () => {
  it('counter movements emit nothing, yet every reading can be read back as of its time', async () => {
    const h = await digital99Harness();
    const number = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    h.world.addTraffic(number.whatsapp, { marketing: 2, service: 1 });
    await h.sync();
    const firstReading = h.clock();

    h.world.addTraffic(number.whatsapp, { marketing: 5, incoming: 1 });
    const second = await h.sync();
    expect(second.events).toBe(0);
    const secondReading = h.clock();

    h.world.resetCounters(); // a new month
    const third = await h.sync();
    expect(third.events).toBe(0);

    const ref = { source: 'digital99', kind: 'number_counters', key: number.whatsapp };
    expect((await entityAt(h.app.db, ref, firstReading))?.data).toEqual({
      conversationsThisMonth: 3,
      marketingThisMonth: 2,
      serviceThisMonth: 1,
      incomingThisMonth: 0,
    });
    expect((await entityAt(h.app.db, ref, secondReading))?.data).toMatchObject({ conversationsThisMonth: 9, marketingThisMonth: 7 });
    expect((await entityAt(h.app.db, ref, h.clock()))?.data).toMatchObject({ conversationsThisMonth: 0 });
    expect(await entityAt(h.app.db, ref, new Date('2020-01-01T00:00:00Z'))).toBeNull();
  });

  it('storage grows with changes, not with runs', async () => {
    const h = await digital99Harness();
    for (let i = 0; i < 5; i++) h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    await h.sync();
    const count = async () => (await h.app.db.selectFrom('entity_version').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const afterBaseline = Number(await count());
    for (let i = 0; i < 5; i++) await h.sync();
    expect(Number(await count())).toBe(afterBaseline);
    const [first] = [...h.world.numbers.values()];
    h.world.addTraffic(first!.whatsapp, { service: 1 });
    await h.sync();
    expect(Number(await count())).toBe(afterBaseline + 1);
    const history = await entityHistory(h.app.db, { source: 'digital99', kind: 'number_counters', key: first!.whatsapp });
    expect(history.map((v) => v.data.serviceThisMonth)).toEqual([0, 1]);
    expect(history[0]!.validTo).toBe(history[1]!.validFrom);
  });

  it('records counters that do not add up, and totals that differ from the list', async () => {
    const h = await digital99Harness();
    const good = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    const odd = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    h.world.addTraffic(good.whatsapp, { marketing: 1 });
    h.world.updateNumber(odd.whatsapp, { conversationsThisMonth: 10, marketingThisMonth: 3, serviceThisMonth: 3, incomingThisMonth: 0 });
    const result = await h.sync();
    const checks = await h.app.db.selectFrom('data_check').select(['run_id', 'key', 'check', 'detail']).orderBy('id').execute();
    expect(checks).toEqual([
      { run_id: result.runId, key: odd.whatsapp, check: 'counters_sum', detail: 'conversations 10 ≠ marketing 3 + service 3 + incoming 0 (= 6)' },
    ]);
    expect(result.outcome).toBe('complete');
  });
});

describe('secrets', () => {
  it('no apiKey, client secret or access token in the database file, the logs or the events', async () => {
    const h = await digital99Harness();
    for (let i = 0; i < 3; i++) h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    await h.sync();
    const [first] = [...h.world.numbers.values()];
    h.world.rotateApiKey(first!.whatsapp);
    h.world.inject({ kind: 'expire_tokens', call: 'getAccounts' });
    await h.sync();
    h.world.inject({ kind: 'malformed', call: 'getWhatsApp' });
    await h.sync();
    expect(h.world.issuedTokens.length).toBe(2);

    const secrets = [h.world.clientSecret, ...h.world.issuedTokens, ...[...h.world.numbers.values()].map((n) => n.apiKey)];
    await h.app.close();
    const files = await storedText(h.dbPath);
    await h.restart();
    const events = JSON.stringify(await listEvents(h.app.db));
    expect(events).toContain('api_key_rotated');
    expect(h.logs.lines.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      for (const file of files) expect(file.includes(secret)).toBe(false);
      expect(h.logs.text()).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
  });
});
