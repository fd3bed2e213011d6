/** 99digital's settings section: its variables, defaults and validation (composed by src/config.ts). */
import type { ConfigSection } from '../upstream.js';
import { type AddressRange, parseAllowList } from '../../intake/addresses.js';

export interface Digital99Config {
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tempNumberPrefix: string;
  /**
   * A numbers list shorter than its own totalWhatsApp looks cut short: 'fail' the pull (nothing
   * looks removed) or only 'record' a data check (if 99digital's total ever counts more than the list).
   */
  readonly shortList: 'fail' | 'record';
  /**
   * The onboarding webhook: 99digital signs nothing, so the unguessable path token
   * (DIGITAL99_WEBHOOK_TOKEN) and the sender's address (DIGITAL99_WEBHOOK_ALLOW) authenticate it.
   * Null: the intake path is off.
   */
  readonly webhook: { readonly token: string; readonly allow: readonly AddressRange[] } | null;
  /**
   * The path of seed 001's "create onboarding link" call, below DIGITAL99_API_URL: the docs' URL
   * cell is cut off, so `whatsapp/createAccount` is our reading (UPSTREAM.md §3a), kept changeable.
   */
  readonly createAccountPath: string;
}

/** DIGITAL99_TEMP_NUMBER_PREFIX's default: the numbers 99digital lends while an onboarding runs. */
export const DEFAULT_TEMP_NUMBER_PREFIX = '97257';

/** Where 99digital's webhooks come from (UPSTREAM.md §5). */
export const DEFAULT_WEBHOOK_ALLOW = '34.165.99.212';

export const digital99ConfigSection: ConfigSection<Digital99Config> = {
  credentialVariables: ['DIGITAL99_CLIENT_ID', 'DIGITAL99_CLIENT_SECRET'],
  secretVariables: ['DIGITAL99_CLIENT_ID', 'DIGITAL99_CLIENT_SECRET'],
  read(read) {
    const digital99Credentials = read.credentials({
      clientId: 'DIGITAL99_CLIENT_ID',
      clientSecret: 'DIGITAL99_CLIENT_SECRET',
    });
    const digital99Url = read.url('DIGITAL99_API_URL', 'https://partners.99digital.co.il/api');
    const tempNumberPrefix = read.string('DIGITAL99_TEMP_NUMBER_PREFIX', DEFAULT_TEMP_NUMBER_PREFIX);
    const shortList = read.oneOf('DIGITAL99_SHORT_LIST', 'fail', ['fail', 'record']) as 'fail' | 'record';
    const createAccountPath = read.string('DIGITAL99_CREATE_ACCOUNT_PATH', 'whatsapp/createAccount').replace(/^\/+/, '');
    if (!/^[A-Za-z0-9_\-/]+$/.test(createAccountPath)) {
      read.problems.push(`DIGITAL99_CREATE_ACCOUNT_PATH: expected a path such as whatsapp/createAccount, got ${JSON.stringify(createAccountPath)}`);
    }
    if (!/^\d+$/.test(tempNumberPrefix)) {
      read.problems.push(`DIGITAL99_TEMP_NUMBER_PREFIX: expected digits, got ${JSON.stringify(tempNumberPrefix)}`);
    }
    const token = read.raw('DIGITAL99_WEBHOOK_TOKEN');
    if (token !== undefined && !/^[A-Za-z0-9_-]{24,128}$/.test(token)) {
      read.problems.push('DIGITAL99_WEBHOOK_TOKEN: expected 24 to 128 letters, digits, "-" or "_" (it is the only secret in the URL; e.g. `openssl rand -hex 24`)');
    }
    const allowText = read.string('DIGITAL99_WEBHOOK_ALLOW', DEFAULT_WEBHOOK_ALLOW);
    const allow = parseAllowList(allowText);
    if (typeof allow === 'string') read.problems.push(`DIGITAL99_WEBHOOK_ALLOW: ${allow}`);
    const webhook = token !== undefined && typeof allow !== 'string' ? { token, allow } : null;
    return digital99Credentials && { ...digital99Credentials, apiUrl: digital99Url, tempNumberPrefix, shortList, createAccountPath, webhook };
  },
};
