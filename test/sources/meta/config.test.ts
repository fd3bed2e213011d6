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
      webhook: null,
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

describe('webhook settings', () => {
  const base = { META_ACCESS_TOKEN: 'EAAtoken', META_BUSINESS_ID: '123' };
  it('META_APP_SECRET and META_WEBHOOK_VERIFY_TOKEN come together, or not at all', () => {
    expect(parseConfig({ ...base, META_APP_SECRET: 's3cret-app', META_WEBHOOK_VERIFY_TOKEN: 'v3rify' }).meta?.webhook).toEqual({ appSecret: 's3cret-app', verifyToken: 'v3rify' });
    expect(() => parseConfig({ ...base, META_APP_SECRET: 's3cret-app' })).toThrow(/META_WEBHOOK_VERIFY_TOKEN/);
  });

  it('the intake settings are validated, naming the variable', () => {
    expect(parseConfig({}).webhook).toEqual({ port: null, host: '127.0.0.1', trustProxy: false, fullPullMinIntervalSeconds: 600 });
    expect(() => parseConfig({ WEBHOOK_PORT: 'http' })).toThrow(/WEBHOOK_PORT/);
    expect(() => parseConfig({ WEBHOOK_TRUST_PROXY: 'yes' })).toThrow(/WEBHOOK_TRUST_PROXY/);
    const digital99 = { DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret' };
    expect(() => parseConfig({ ...digital99, DIGITAL99_WEBHOOK_TOKEN: 'short' })).toThrow(/DIGITAL99_WEBHOOK_TOKEN: expected 24 to 128/);
    expect(() => parseConfig({ ...digital99, DIGITAL99_WEBHOOK_TOKEN: 'a'.repeat(24), DIGITAL99_WEBHOOK_ALLOW: '10.0.0.0/8, not-an-ip' })).toThrow(/DIGITAL99_WEBHOOK_ALLOW: not an IP address or CIDR: "not-an-ip"/);
    const config = parseConfig({ ...digital99, DIGITAL99_WEBHOOK_TOKEN: 'a'.repeat(24), DIGITAL99_WEBHOOK_ALLOW: '10.0.0.0/8,2001:db8::1' });
    expect(config.digital99?.webhook?.allow).toHaveLength(2);
  });
});
