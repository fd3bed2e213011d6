import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { enabledSources, parseConfig } from '../src/config.js';

describe('configuration', () => {
  it('defaults need nothing and enable no source', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ databasePath: './data/waba-sync.sqlite', timezone: 'UTC', digital99: null });
    expect(enabledSources(config)).toEqual([]);
    expect(Object.isFrozen(config) && Object.isFrozen(config.http)).toBe(true);
  });

  it('a source is enabled exactly when its credentials are set', () => {
    const config = parseConfig({ DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret' });
    expect(enabledSources(config)).toEqual(['digital99']);
    expect(config.digital99).toMatchObject({ apiUrl: 'https://partners.99digital.co.il/api', tempNumberPrefix: '97257' });
  });

  it('lists every problem in one message, naming each variable, and never falls back silently', () => {
    let error: unknown;
    try {
      parseConfig({
        TIMEZONE: 'Mars/Olympus',
        DIGITAL99_CLIENT_ID: 'only-the-id',
        DIGITAL99_API_URL: 'ftp://example.com',
        HTTP_TIMEOUT_MS: 'soon',
        SYNC_CRON: 'every minute',
        DIGITAL99_TEMP_NUMBER_PREFIX: '97-257',
        DATABASE_URL: 'mysql://db/waba',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const variable of ['TIMEZONE', 'DIGITAL99_CLIENT_SECRET', 'DIGITAL99_API_URL', 'HTTP_TIMEOUT_MS', 'SYNC_CRON', 'DIGITAL99_TEMP_NUMBER_PREFIX', 'DATABASE_URL']) {
      expect(message).toContain(variable);
    }
    expect((error as ConfigError).problems).toHaveLength(7);
  });

  it('accepts six-field (seconds) cron expressions', () => {
    expect(parseConfig({ SYNC_CRON: '*/10 * * * * *' }).syncCron).toBe('*/10 * * * * *');
  });
});
