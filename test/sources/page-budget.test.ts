import { describe, expect, it } from 'vitest';
import { PageBudget, formatListingPages, pageCap, parseListingPages } from '../../src/sources/page-budget.js';

const settings = { minPages: 5000, factor: 10, minSetting: 'META_MAX_PAGES', factorSetting: 'META_MAX_PAGES_FACTOR' };

describe('page budget of one listing', () => {
  it('is the floor without history, or when the history is smaller', () => {
    expect(pageCap(settings, null, 100)).toEqual({ pages: 5000, reason: 'META_MAX_PAGES=5000' });
    expect(pageCap(settings, { pages: 0, limit: 100 }, 100).pages).toBe(5000);
    expect(pageCap(settings, { pages: 500, limit: 100 }, 100).pages).toBe(5000);
  });

  it('grows with the last complete full pull, scaled to today’s page size', () => {
    expect(pageCap(settings, { pages: 1017, limit: 100 }, 100)).toEqual({ pages: 10_170, reason: 'META_MAX_PAGES_FACTOR=10 × 1017 pages in the last complete full pull' });
    // The same rows at a quarter of the page size take four times the pages.
    expect(pageCap(settings, { pages: 1017, limit: 100 }, 25)).toEqual({
      pages: 40_680,
      reason: 'META_MAX_PAGES_FACTOR=10 × 4068 pages of 25 (1017 of 100) in the last complete full pull',
    });
  });

  it('round-trips through the source state and ignores a value it cannot read', () => {
    expect(parseListingPages(formatListingPages({ pages: 12, limit: 100 }))).toEqual({ pages: 12, limit: 100 });
    for (const bad of [null, '', 'x', '{"pages":-1,"limit":100}', '{"pages":3,"limit":0}', '{"pages":1.5,"limit":100}']) expect(parseListingPages(bad)).toBeNull();
  });

  it('lets the cap of pages through and refuses the next, naming the listing page and the cap', () => {
    const budget = new PageBudget('meta', { pages: 2, reason: 'META_MAX_PAGES=2' }, 'raise META_MAX_PAGES if the fleet really is this large');
    budget.take('owned_whatsapp_business_accounts page 1');
    budget.take('owned_whatsapp_business_accounts page 2');
    expect(() => budget.take('owned_whatsapp_business_accounts page 3')).toThrow(
      'meta owned_whatsapp_business_accounts page 3: the listing reached its cap of 2 pages (META_MAX_PAGES=2) and still has paging.next',
    );
    expect(budget.pages).toBe(2);
  });
});
