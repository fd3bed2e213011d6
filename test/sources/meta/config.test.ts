import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { enabledSources, parseConfig } from '../../../src/config.js';

describe('meta configuration', () => {
  it('is disabled until both credentials are set, saying which to set', () => {
    const config = parseConfig({});
    expect(config.meta).toBeNull();
    expect(config.disabledReasons.meta).toBe('set META_ACCESS_TOKEN and META_BUSINESS_ID');
  });

  it('is enabled with defaults when both are set', () => {
    const config = parseConfig({ META_ACCESS_TOKEN: 'EAAx', META_BUSINESS_ID: '805021500648488' });
    expect(enabledSources(config)).toContain('meta');
    expect(config.meta).toEqual({
      accessToken: 'EAAx',
      businessId: '805021500648488',
      graphUrl: 'https://graph.facebook.com',
      apiVersion: 'v25.0',
      pageSize: 100,
      phoneNumbersPageSize: 100,
      concurrency: 4,
      incrementalLookbackSeconds: 86_400,
      throttleMaxWaitSeconds: 600,
      slowdownPercent: 80,
      maxPages: 5000,
      maxPagesFactor: 10,
      maxEmptyPages: 10,
    });
  });

  it('rejects page caps below 1, naming the variable', () => {
    expect(() => parseConfig({ META_ACCESS_TOKEN: 'EAAx', META_BUSINESS_ID: '1', META_MAX_PAGES: '0', META_MAX_PAGES_FACTOR: 'x', META_MAX_EMPTY_PAGES: '-1' })).toThrow(
      /META_MAX_PAGES: expected a whole number from 1 to 10000000[\s\S]*META_MAX_PAGES_FACTOR: expected[\s\S]*META_MAX_EMPTY_PAGES: expected/,
    );
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      parseConfig({ META_ACCESS_TOKEN: 'EAAx', META_BUSINESS_ID: 'acme', META_API_VERSION: '25', META_PAGE_SIZE: '0', META_CONCURRENCY: 'many' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['META_BUSINESS_ID', 'META_API_VERSION', 'META_PAGE_SIZE', 'META_CONCURRENCY']) expect(problems).toContain(`${name}:`);
    expect(problems).not.toContain('EAAx');

    expect(() => parseConfig({ META_ACCESS_TOKEN: 'EAAx' })).toThrow('META_BUSINESS_ID: required because META_ACCESS_TOKEN is set');
  });
});
