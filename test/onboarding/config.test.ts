/** ONBOARDING_STUCK_DAYS and DIGITAL99_CREATE_ACCOUNT_PATH: defaults, and bad values named (exit 2 at start). */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const DIGITAL99 = { DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret' };

function problems(env: Record<string, string>): readonly string[] {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('onboarding settings', () => {
  it('default to 7 days and whatsapp/createAccount', () => {
    const config = parseConfig(DIGITAL99);
    expect(config.notify.onboardingStuckDays).toBe(7);
    expect(config.digital99!.createAccountPath).toBe('whatsapp/createAccount');
    expect(parseConfig({ ...DIGITAL99, ONBOARDING_STUCK_DAYS: '14', DIGITAL99_CREATE_ACCOUNT_PATH: '/online/createAccount' }).digital99!.createAccountPath).toBe('online/createAccount');
  });

  it('name the variable when a value is wrong', () => {
    for (const value of ['0', '366', 'seven', '2.5']) {
      expect(problems({ ONBOARDING_STUCK_DAYS: value })).toEqual([`ONBOARDING_STUCK_DAYS: expected a whole number from 1 to 365, got ${JSON.stringify(value)}`]);
    }
    expect(problems({ ...DIGITAL99, DIGITAL99_CREATE_ACCOUNT_PATH: 'whatsapp/create?x=1' })).toEqual([
      'DIGITAL99_CREATE_ACCOUNT_PATH: expected a path such as whatsapp/createAccount, got "whatsapp/create?x=1"',
    ]);
  });
});
