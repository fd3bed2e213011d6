/** The webhook inbox's own rules: a body that may repeat is processed again, in its new turn. */
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, migrateToLatest, openDatabase } from '../../db/database.js';
import { claimDeliveries, dueDeliveries, intakeSummary, recordDelivery } from '../../src/intake/inbox.js';
import { tempDbPath } from '../helpers/temp.js';

const opened: Db[] = [];
afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.destroy();
});

async function inbox(): Promise<Db> {
  const db = await openDatabase(tempDbPath());
  await migrateToLatest(db);
  opened.push(db);
  return db;
}

const body = (text: string) => Buffer.from(text);

describe('the webhook inbox', () => {
  it('a body that came before and was processed comes again: waiting again, behind what arrived before it, as arrived now', async () => {
    const db = await inbox();
    const violation = body('{"event":"account_violation","data":{"id":"ch1"}}');
    expect(await recordDelivery(db, { upstream: 'dialog360', rawBody: violation, at: new Date('2026-11-01T00:00:00Z'), repeats: true })).toBe('recorded');
    const [first] = await dueDeliveries(db, 'dialog360', new Date('2026-11-01T00:00:00Z'), 10);
    await db.transaction().execute((trx) => claimDeliveries(trx, [first!.id], { at: '2026-11-01T00:00:01.000Z', outcome: 'applied', note: 'done' }));

    expect(await recordDelivery(db, { upstream: 'dialog360', rawBody: body('{"event":"account_restriction","data":{"id":"ch1"}}'), at: new Date('2026-11-20T00:00:00Z'), repeats: true })).toBe('recorded');
    expect(await recordDelivery(db, { upstream: 'dialog360', rawBody: violation, at: new Date('2026-11-20T00:00:01Z'), repeats: true })).toBe('recorded');
    // The same bytes while they still wait: the same delivery.
    expect(await recordDelivery(db, { upstream: 'dialog360', rawBody: violation, at: new Date('2026-11-20T00:00:02Z'), repeats: true })).toBe('duplicate');

    const due = await dueDeliveries(db, 'dialog360', new Date('2026-11-20T00:00:03Z'), 10);
    expect(due.map((row) => [JSON.parse(row.body).event, row.received_at, row.deliveries])).toEqual([
      ['account_restriction', '2026-11-20T00:00:00.000Z', 1],
      ['account_violation', '2026-11-20T00:00:01.000Z', 3],
    ]);
    expect((await intakeSummary(db, ['dialog360']))[0]).toMatchObject({ backlog: 2, oldestPendingAt: '2026-11-20T00:00:00.000Z' });
  });

  it('without `repeats` (Meta: its bodies carry their time), the same bytes are only counted', async () => {
    const db = await inbox();
    const change = body('{"entry":[{"id":"1","time":1}]}');
    await recordDelivery(db, { upstream: 'meta', rawBody: change, at: new Date('2026-11-01T00:00:00Z') });
    const [row] = await dueDeliveries(db, 'meta', new Date('2026-11-01T00:00:00Z'), 10);
    await db.transaction().execute((trx) => claimDeliveries(trx, [row!.id], { at: '2026-11-01T00:00:01.000Z', outcome: 'applied', note: 'done' }));
    expect(await recordDelivery(db, { upstream: 'meta', rawBody: change, at: new Date('2026-11-02T00:00:00Z') })).toBe('duplicate');
    expect(await dueDeliveries(db, 'meta', new Date('2026-11-02T00:00:00Z'), 10)).toEqual([]);
  });
});
