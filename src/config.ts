/**
 * Configuration: parsed and validated once, at the entry point, from an explicit environment
 * object (never read at import time). Every problem is collected and reported in one message that
 * names the variable; a bad value never falls back to a default silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import cron from 'node-cron';
import { ConfigError } from './errors.js';

export type SourceName = 'meta' | 'dialog360' | 'digital99';
export const SOURCE_NAMES: readonly SourceName[] = ['meta', 'dialog360', 'digital99'];

export interface Digital99Config {
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tempNumberPrefix: string;
}

export interface MetaConfig {
  /** Graph root without the version, e.g. https://graph.facebook.com. */
  readonly graphUrl: string;
  /** Appended to graphUrl, e.g. v25.0. */
  readonly apiVersion: string;
  /** System user token: a secret, sent only as a Bearer header. */
  readonly accessToken: string;
  readonly businessId: string;
  readonly pageSize: number;
  /** Requests in flight at once (cursor chains of a split listing, phone-number lists). */
  readonly concurrency: number;
  /** Incremental pulls re-read WABAs created this long before the newest one seen. */
  readonly incrementalLookbackSeconds: number;
  /** A throttle asking to wait longer than this fails the pull instead of waiting. */
  readonly throttleMaxWaitSeconds: number;
  /** Requests are spaced out once a usage header reports this percentage or more. */
  readonly slowdownPercent: number;
}

export interface HttpConfig {
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Retries after the first attempt for 5xx, timeouts and throttling. */
  readonly retries: number;
  /** First retry delay, doubling each retry. */
  readonly retryBaseMs: number;
}

export interface Config {
  readonly databasePath: string;
  readonly timezone: string;
  readonly logLevel: string;
  readonly http: HttpConfig;
  readonly syncCron: string;
  /** Key for fingerprints of per-number secrets; when unset a random key is kept in the database. */
  readonly fingerprintSecret: string | null;
  readonly digital99: Digital99Config | null;
  readonly meta: MetaConfig | null;
  /** Why a source is disabled, naming the variables to set. */
  readonly disabledReasons: Readonly<Partial<Record<SourceName, string>>>;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads `.env` from `cwd` (when present) beneath the process environment, which wins. */
export function loadEnv(processEnv: Env, cwd: string): Env {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return { ...processEnv };
  const fromFile = parseDotenv(readFileSync(file));
  return { ...fromFile, ...processEnv };
}

/** A small collector so every variable's problem ends up in one message. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** The trimmed value, or undefined when unset or empty. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  url(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    try {
      const url = new URL(value);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      if (url.username || url.password) {
        this.problems.push(`${name}: must not contain credentials; use the credential variables`);
      }
      return value.replace(/\/+$/, '');
    } catch {
      this.problems.push(`${name}: not an http(s) URL: ${JSON.stringify(value)}`);
      return fallback;
    }
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return Number(value);
  }

  oneOf(name: string, fallback: string, allowed: readonly string[]): string {
    const value = this.raw(name) ?? fallback;
    if (!allowed.includes(value)) {
      this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }

  timezone(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: value });
      return value;
    } catch {
      this.problems.push(`${name}: not an IANA time zone name: ${JSON.stringify(value)}`);
      return fallback;
    }
  }

  cron(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    if (!cron.validate(value)) {
      this.problems.push(`${name}: not a valid cron expression (5 or 6 fields): ${JSON.stringify(value)}`);
      return fallback;
    }
    return value;
  }

  /**
   * A set of credentials enabling one source: all set → the values; none set → null (disabled);
   * some set → a problem naming the missing ones, since a half-configured source is a mistake.
   */
  credentials<K extends string>(names: Record<K, string>): Record<K, string> | null {
    const entries = Object.entries(names) as [K, string][];
    const values = entries.map(([key, variable]) => [key, variable, this.raw(variable)] as const);
    const missing = values.filter(([, , value]) => value === undefined).map(([, variable]) => variable);
    if (missing.length === values.length) return null;
    if (missing.length > 0) {
      const set = values.filter(([, , value]) => value !== undefined).map(([, variable]) => variable);
      this.problems.push(`${missing.join(', ')}: required because ${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} set`);
      return null;
    }
    return Object.fromEntries(values.map(([key, , value]) => [key, value])) as Record<K, string>;
  }
}

export function parseConfig(env: Env): Config {
  const read = new EnvReader(env);

  const digital99Credentials = read.credentials({
    clientId: 'DIGITAL99_CLIENT_ID',
    clientSecret: 'DIGITAL99_CLIENT_SECRET',
  });
  const digital99Url = read.url('DIGITAL99_API_URL', 'https://partners.99digital.co.il/api');
  const tempNumberPrefix = read.string('DIGITAL99_TEMP_NUMBER_PREFIX', '97257');
  if (!/^\d+$/.test(tempNumberPrefix)) {
    read.problems.push(`DIGITAL99_TEMP_NUMBER_PREFIX: expected digits, got ${JSON.stringify(tempNumberPrefix)}`);
  }

  const metaCredentials = read.credentials({ accessToken: 'META_ACCESS_TOKEN', businessId: 'META_BUSINESS_ID' });
  const metaSettings = {
    graphUrl: read.url('META_GRAPH_URL', 'https://graph.facebook.com'),
    apiVersion: read.string('META_API_VERSION', 'v25.0'),
    pageSize: read.int('META_PAGE_SIZE', 100, 1, 1000),
    concurrency: read.int('META_CONCURRENCY', 4, 1, 32),
    incrementalLookbackSeconds: read.int('META_INCREMENTAL_LOOKBACK_SECONDS', 86_400, 0, 366 * 86_400),
    throttleMaxWaitSeconds: read.int('META_THROTTLE_MAX_WAIT_SECONDS', 600, 0, 86_400),
    slowdownPercent: read.int('META_SLOWDOWN_PERCENT', 80, 1, 100),
  };
  if (!/^v\d+\.\d+$/.test(metaSettings.apiVersion)) {
    read.problems.push(`META_API_VERSION: expected a Graph API version like v25.0, got ${JSON.stringify(metaSettings.apiVersion)}`);
  }
  if (metaCredentials && !/^\d+$/.test(metaCredentials.businessId)) {
    read.problems.push(`META_BUSINESS_ID: expected the numeric business portfolio id, got ${JSON.stringify(metaCredentials.businessId)}`);
  }

  const config: Config = {
    databasePath: read.string('DATABASE_URL', './data/waba-sync.sqlite'),
    timezone: read.timezone('TIMEZONE', 'UTC'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    http: {
      timeoutMs: read.int('HTTP_TIMEOUT_MS', 30_000, 100, 600_000),
      retries: read.int('HTTP_RETRIES', 3, 0, 10),
      retryBaseMs: read.int('HTTP_RETRY_BASE_MS', 1000, 1, 60_000),
    },
    syncCron: read.cron('SYNC_CRON', '*/15 * * * *'),
    fingerprintSecret: read.raw('FINGERPRINT_SECRET') ?? null,
    digital99: digital99Credentials && { ...digital99Credentials, apiUrl: digital99Url, tempNumberPrefix },
    meta: metaCredentials && { ...metaCredentials, ...metaSettings },
    disabledReasons: {
      ...(digital99Credentials ? {} : { digital99: 'set DIGITAL99_CLIENT_ID and DIGITAL99_CLIENT_SECRET' }),
      ...(metaCredentials ? {} : { meta: 'set META_ACCESS_TOKEN and META_BUSINESS_ID' }),
      dialog360: 'not available yet in this version',
    },
  };

  if (config.databasePath.includes('://')) {
    read.problems.push(`DATABASE_URL: expected a SQLite file path, got ${JSON.stringify(config.databasePath)}`);
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(config);
}

export function enabledSources(config: Config): SourceName[] {
  return SOURCE_NAMES.filter((name) => config.disabledReasons[name] === undefined);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
