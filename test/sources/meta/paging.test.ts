import { describe, expect, it } from 'vitest';
import { currentEntities, metaHarness } from '../../helpers/meta.js';

describe('meta: paging', () => {
  it('reads lists in pages only: ceil(n/limit) list calls, phone numbers nested in them, no per-WABA call', async () => {
    const h = await metaHarness({ env: { META_PAGE_SIZE: '3', META_CONCURRENCY: '1', META_PHONE_NUMBERS_PAGE_SIZE: '3' } });
    const wabas = Array.from({ length: 7 }, (_, i) => h.world.shareWaba({ creation_time: 1_700_000_000 + i }));
    for (let i = 0; i < 4; i++) h.world.addOwnedWaba();
    for (let i = 0; i < 5; i++) h.world.addPhoneNumber(wabas[0]!.id);
    h.world.addPhoneNumber(wabas[1]!.id);

    const result = await h.sync();

    expect(result.outcome).toBe('complete');
    expect(h.world.calls).toEqual({
      client_whatsapp_business_accounts: 3, // ceil(7/3)
      owned_whatsapp_business_accounts: 2, // ceil(4/3)
      phone_numbers: 1, // only the second page of the WABA with five numbers (three came nested)
      waba: 0,
      debug_token: 0,
    });
    expect(result.apiCalls).toBe(3 + 2 + 1);
    expect((await currentEntities(h.app, 'phone_number')).size).toBe(6);
  });

  it('asks for META_PAGE_SIZE (100 by default), not the silent Graph default of 25', async () => {
    const h = await metaHarness({ env: { META_CONCURRENCY: '1' } });
    for (let i = 0; i < 150; i++) h.world.shareWaba({ creation_time: 1_700_000_000 + i });
    await h.sync();
    expect(h.world.calls.client_whatsapp_business_accounts).toBe(2);
    expect((await currentEntities(h.app, 'waba')).size).toBe(150);
  });

  it('follows next when Graph serves smaller pages than asked for', async () => {
    const h = await metaHarness({ maxLimit: 2, env: { META_PAGE_SIZE: '100' } });
    for (let i = 0; i < 9; i++) h.world.shareWaba({ creation_time: 1_700_000_000 + i * 100 });
    const result = await h.sync();
    expect(result.outcome).toBe('complete');
    expect((await currentEntities(h.app, 'waba')).size).toBe(9);
  });

  it('an empty page with next is not the end', async () => {
    const h = await metaHarness({ env: { META_PAGE_SIZE: '2', META_CONCURRENCY: '1' } });
    const wabas = Array.from({ length: 5 }, (_, i) => h.world.shareWaba({ creation_time: 1_700_000_000 + i }));
    h.world.addPhoneNumber(wabas[0]!.id);
    h.world.addPhoneNumber(wabas[0]!.id);
    h.world.addPhoneNumber(wabas[0]!.id);
    // Faults of one call apply in turn: the first page is empty, the second (WABAs 0 and 1) nests an
    // empty page of WABA 0's numbers that still has next, the third is empty again.
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'empty_page' });
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'empty_nested' });
    h.world.inject({ call: 'client_whatsapp_business_accounts', kind: 'empty_page' });
    h.world.inject({ call: 'phone_numbers', kind: 'empty_page' });

    const result = await h.sync();
    expect(result.error).toBeUndefined();
    expect((await currentEntities(h.app, 'waba')).size).toBe(5);
    expect((await currentEntities(h.app, 'phone_number')).size).toBe(3);
    expect(h.world.calls.client_whatsapp_business_accounts).toBe(3 + 2);
    // The nested page was empty with next, and so was the first page that next led to.
    expect(h.world.calls.phone_numbers).toBe(2);
  });
});
