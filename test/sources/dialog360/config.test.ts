import { describe, expect, it } from 'vitest';
import { enabledSources, parseConfig } from '../../../src/config.js';

describe('360dialog settings', () => {
  it('is enabled exactly when the key and the partner id are set, with documented defaults', () => {
    const off = parseConfig({});
    expect(enabledSources(off)).not.toContain('dialog360');
    expect(off.disabledReasons.dialog360).toBe('set DIALOG360_API_KEY and DIALOG360_PARTNER_ID');

    const on = parseConfig({ DIALOG360_API_KEY: 'k', DIALOG360_PARTNER_ID: 'PA' });
    expect(enabledSources(on)).toContain('dialog360');
    expect(on.dialog360).toEqual({
      apiUrl: 'https://hub.360dialog.io/api/v2',
      apiKey: 'k',
      partnerId: 'PA',
      pageSize: 100,
      concurrency: 4,
      sweepAttempts: 3,
      sort: ['created_at', 'id'],
      maxRows: 1_000_000,
      webhookSecret: null,
    });
  });

  it('DIALOG360_MAX_ROWS is a whole number of 1 or more', () => {
    expect(parseConfig({ DIALOG360_API_KEY: 'k', DIALOG360_PARTNER_ID: 'PA', DIALOG360_MAX_ROWS: '5000' }).dialog360?.maxRows).toBe(5000);
    expect(() => parseConfig({ DIALOG360_API_KEY: 'k', DIALOG360_PARTNER_ID: 'PA', DIALOG360_MAX_ROWS: '0' })).toThrow('DIALOG360_MAX_ROWS: expected a whole number from 1 to 100000000, got "0"');
  });

  it('refuses a sort on a field that can change while a list is read (a channel could move past every check and look removed)', () => {
    for (const sort of ['status,id', '-modified_at,id', 'name']) {
      expect(() => parseConfig({ DIALOG360_API_KEY: 'k', DIALOG360_PARTNER_ID: 'PA', DIALOG360_SORT: sort })).toThrow(`DIALOG360_SORT: sort only on fields that never change (id, created_at), got ${JSON.stringify(sort)}`);
    }
    for (const sort of ['created_at,id', '-created_at,-id', 'id', 'created_at']) {
      expect(parseConfig({ DIALOG360_API_KEY: 'k', DIALOG360_PARTNER_ID: 'PA', DIALOG360_SORT: sort }).dialog360?.sort).toEqual(sort.split(','));
    }
  });

  it('names every variable that is wrong', () => {
    expect(() =>
      parseConfig({ DIALOG360_API_KEY: 'k', DIALOG360_PAGE_SIZE: '1', DIALOG360_CONCURRENCY: 'lots', DIALOG360_SORT: 'created_at;drop' }),
    ).toThrow(
      [
        'Invalid configuration:',
        '  - DIALOG360_PARTNER_ID: required because DIALOG360_API_KEY is set',
        '  - DIALOG360_PAGE_SIZE: expected a whole number from 2 to 1000, got "1"',
        '  - DIALOG360_CONCURRENCY: expected a whole number from 1 to 32, got "lots"',
        '  - DIALOG360_SORT: expected comma-separated field names (optional "-" prefix), got "created_at;drop"',
      ].join('\n'),
    );
  });
});
