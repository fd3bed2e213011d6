/** Meta's settings section: its variables, defaults and validation (composed by src/config.ts). */
import type { ConfigSection } from '../upstream.js';

export interface MetaConfig {
  /** Graph root without the version, e.g. https://graph.facebook.com. */
  readonly graphUrl: string;
  /** Appended to graphUrl, e.g. v25.0. */
  readonly apiVersion: string;
  /** System user token: a secret, sent only as a Bearer header. */
  readonly accessToken: string;
  readonly businessId: string;
  readonly pageSize: number;
  /** N of `phone_numbers.limit(N)` expanded on the client WABA list, and `limit` of further pages. */
  readonly phoneNumbersPageSize: number;
  /** Requests in flight at once (cursor chains of a split listing). */
  readonly concurrency: number;
  /** Incremental pulls re-read WABAs created this long before the newest one seen. */
  readonly incrementalLookbackSeconds: number;
  /** A throttle asking to wait longer than this fails the pull instead of waiting. */
  readonly throttleMaxWaitSeconds: number;
  /** Requests are spaced out once a usage header reports this percentage or more. */
  readonly slowdownPercent: number;
  /** Runaway paging (see sources/page-budget.ts): pages one listing may take at least. */
  readonly maxPages: number;
  /** … or this many times the pages it took in the last complete full pull, when that is more. */
  readonly maxPagesFactor: number;
  /** Empty pages in a row, each with `paging.next`, before a cursor chain fails. */
  readonly maxEmptyPages: number;
  /** The webhook intake (META_APP_SECRET signs deliveries, META_WEBHOOK_VERIFY_TOKEN answers the handshake); null: off. */
  readonly webhook: { readonly appSecret: string; readonly verifyToken: string } | null;
}

export const metaConfigSection: ConfigSection<MetaConfig> = {
  credentialVariables: ['META_ACCESS_TOKEN', 'META_BUSINESS_ID'],
  secretVariables: ['META_ACCESS_TOKEN'],
  read(read) {
    const metaCredentials = read.credentials({ accessToken: 'META_ACCESS_TOKEN', businessId: 'META_BUSINESS_ID' });
    const metaSettings = {
      graphUrl: read.url('META_GRAPH_URL', 'https://graph.facebook.com'),
      apiVersion: read.string('META_API_VERSION', 'v25.0'),
      pageSize: read.int('META_PAGE_SIZE', 100, 1, 1000),
      phoneNumbersPageSize: read.int('META_PHONE_NUMBERS_PAGE_SIZE', 100, 1, 1000),
      concurrency: read.int('META_CONCURRENCY', 4, 1, 32),
      incrementalLookbackSeconds: read.int('META_INCREMENTAL_LOOKBACK_SECONDS', 86_400, 0, 366 * 86_400),
      throttleMaxWaitSeconds: read.int('META_THROTTLE_MAX_WAIT_SECONDS', 600, 0, 86_400),
      slowdownPercent: read.int('META_SLOWDOWN_PERCENT', 80, 1, 100),
      maxPages: read.int('META_MAX_PAGES', 5000, 1, 10_000_000),
      maxPagesFactor: read.int('META_MAX_PAGES_FACTOR', 10, 1, 1000),
      maxEmptyPages: read.int('META_MAX_EMPTY_PAGES', 10, 1, 10_000),
      webhook: read.credentials({ appSecret: 'META_APP_SECRET', verifyToken: 'META_WEBHOOK_VERIFY_TOKEN' }),
    };
    if (!/^v\d+\.\d+$/.test(metaSettings.apiVersion)) {
      read.problems.push(`META_API_VERSION: expected a Graph API version like v25.0, got ${JSON.stringify(metaSettings.apiVersion)}`);
    }
    if (metaCredentials && !/^\d+$/.test(metaCredentials.businessId)) {
      read.problems.push(`META_BUSINESS_ID: expected the numeric business portfolio id, got ${JSON.stringify(metaCredentials.businessId)}`);
    }
    return metaCredentials && { ...metaCredentials, ...metaSettings };
  },
};
