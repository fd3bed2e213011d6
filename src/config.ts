/**
 * Configuration: parsed and validated once, at the entry point, from an explicit environment
 * object (never read at import time). Every problem is collected and reported in one message that
 * names the variable; a bad value never falls back to a default silently.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import cron from 'node-cron';
import { backendOf, maskDatabaseUrl } from '../db/url.js';
import { ConfigError } from './errors.js';
import { SOURCE_NAMES, type SourceName, UPSTREAMS, type UpstreamConfigs, disabledReason, knownEventTypes } from './sources/registry.js';
import { type DeliveryConfig, readDeliveryConfig } from './delivery/settings.js';
import type { SettingsReader } from './sources/upstream.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './sources/http.js';
import { type ConsoleUser, parseConsoleUsers } from './console/passwords.js';

// Each upstream's settings section lives in its folder (src/sources/<upstream>/config.ts);
// this file keeps what is shared and composes the sections from the registry.
export { SOURCE_NAMES, type SourceName };

export interface HttpConfig {
  /** Per-request timeout. */
  readonly timeoutMs: number;
  /** Retries after the first attempt for 5xx, timeouts and throttling. */
  readonly retries: number;
  /** First retry delay, doubling each retry. */
  readonly retryBaseMs: number;
  /** The largest upstream response body read (bytes, after decompression); a larger one fails the pull. */
  readonly maxResponseBytes: number;
}

/** Where email goes out. `pass` is a secret: never logged, printed or stored. */
export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** smtps:// — TLS from the first byte; smtp:// upgrades with STARTTLS when the server offers it. */
  readonly secure: boolean;
  readonly user: string | null;
  readonly pass: string | null;
  /**
   * smtp:// with credentials: refuse to send (and so to authenticate) unless the connection was
   * upgraded with STARTTLS, so a server or a man in the middle that offers no STARTTLS never sees
   * the password. SMTP_ALLOW_PLAIN_AUTH=1 turns it off (a trusted relay on the same host).
   */
  readonly requireTls: boolean;
}

export interface MailConfig {
  /** null when SMTP_URL is unset: nothing can be sent (previews still work). */
  readonly smtp: SmtpSettings | null;
  readonly from: string | null;
  readonly digestTo: readonly string[];
  /** ALERT_TO, or DIGEST_TO when unset; empty means no alerts. */
  readonly alertTo: readonly string[];
}

export interface NotifyConfig {
  readonly digestCron: string;
  /** Rows shown per digest section; the full list goes into an attached CSV. */
  readonly digestSectionLimit: number;
  /** Consecutive failed pulls of a source before an alert (a dead credential alerts at once). */
  readonly alertAfterFailures: number;
  /** A finished 99digital onboarding may miss from the numbers list this long before it is flagged. */
  readonly reconcileGraceHours: number;
  /** ONBOARDING_STUCK_DAYS: a 99digital onboarding link still unfinished this many days after it was created is stuck. */
  readonly onboardingStuckDays: number;
  /** Sending attempts per email before it is marked failed. */
  readonly outboxMaxAttempts: number;
  /** First retry delay of a failed send, doubling each attempt. */
  readonly outboxRetryBaseMs: number;
}

/** The monthly conversation report (issue 6). */
export interface ReportConfig {
  /** REPORT_TO: recipients; empty means the report is not emailed. */
  readonly to: readonly string[];
  /** REPORT_CRON: when the daemon sends last month's report, in TIMEZONE. */
  readonly cron: string;
  /** REPORT_STALE_HOURS: a month's last complete pull further than this before its end is flagged. */
  readonly staleHours: number;
  /** MONTH_END_SYNC_CRON: the final pull shortly before each month ends, in TIMEZONE. */
  readonly monthEndSyncCron: string;
}

/**
 * Retention (RETAIN_*_DAYS): how many days of each kind of history to keep; null (unset) keeps
 * everything. What is still needed — current state, what is still to be mailed, what a report of
 * this or last month reads — is kept whatever these say (src/retention/prune.ts).
 */
export interface RetentionConfig {
  /** RETAIN_EVENTS_DAYS: events detected longer ago. */
  readonly eventsDays: number | null;
  /** RETAIN_HISTORY_DAYS: entity versions replaced (closed) longer ago. */
  readonly historyDays: number | null;
  /** RETAIN_RUNS_DAYS: sync ledger rows (and their data checks) of pulls started longer ago. */
  readonly runsDays: number | null;
  /** RETAIN_SENT_MAIL_DAYS: emails sent longer ago (their bodies and attachments). */
  readonly sentMailDays: number | null;
}

export interface Config extends UpstreamConfigs {
  /** DATABASE_URL: a SQLite file path or a PostgreSQL URL; shown only through `maskDatabaseUrl`. */
  readonly databasePath: string;
  /** DATABASE_BUSY_TIMEOUT_SECONDS: how long a statement waits for another process's write lock. */
  readonly databaseBusyTimeoutMs: number;
  readonly timezone: string;
  readonly logLevel: string;
  /** LOG_FORMAT: json or pretty; null (unset) = pretty exactly when stderr is a terminal. */
  readonly logFormat: LogFormat | null;
  readonly http: HttpConfig;
  readonly syncCron: string;
  readonly fullSyncCron: string;
  /** Port of /healthz and /metrics (0 = any free port). */
  readonly httpPort: number;
  /** HTTP_HOST: the interface /healthz and /metrics listen on (default 127.0.0.1, this machine only). */
  readonly httpHost: string;
  /** The webhook intake's listener (issue 15); null: no intake. */
  readonly webhook: WebhookConfig;
  /** The web console on HTTP_PORT (issue 17); null when CONSOLE_USERS is unset (`/` answers 404). */
  readonly console: ConsoleConfig | null;
  /** A source is healthy when its last complete pull is at most this old. */
  readonly healthMaxAgeSeconds: number;
  /**
   * HEALTH_MAX_FULL_AGE_SECONDS: for a source with incremental pulls (Meta), the last complete full
   * pull must be at most this old too; null = two periods of FULL_SYNC_CRON.
   */
  readonly healthMaxFullAgeSeconds: number | null;
  /** Key for fingerprints of per-number secrets; when unset a random key is kept in the database. */
  readonly fingerprintSecret: string | null;
  readonly mail: MailConfig;
  readonly notify: NotifyConfig;
  readonly report: ReportConfig;
  readonly retention: RetentionConfig;
  /** Outgoing event delivery (issue 19): signed webhooks to the partner's systems, chat messages. */
  readonly delivery: DeliveryConfig;
  /** Why a source is disabled, naming the variables to set. */
  readonly disabledReasons: Readonly<Partial<Record<SourceName, string>>>;
}

export interface WebhookConfig {
  /** WEBHOOK_PORT (unset: no intake; 0 = any free port). */
  readonly port: number | null;
  /** WEBHOOK_HOST (default 127.0.0.1: a TLS reverse proxy goes in front). */
  readonly host: string;
  /** WEBHOOK_TRUST_PROXY: the client address is X-Forwarded-For's last hop (one proxy). */
  readonly trustProxy: boolean;
  /** WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS: the shortest gap between full pulls webhooks trigger. */
  readonly fullPullMinIntervalSeconds: number;
}

export interface ConsoleConfig {
  /** CONSOLE_USERS: `name:scrypt-hash` entries (`console-user NAME` prints one). */
  readonly users: readonly ConsoleUser[];
  /** CONSOLE_SECURE_COOKIE=1: the console is reached over HTTPS, so its cookie is marked Secure. */
  readonly secureCookie: boolean;
  /** CONSOLE_IDLE_MINUTES: a session unused this long ends (default 30). */
  readonly idleMs: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** LOG_FORMAT: one JSON object a line, or pino-pretty's lines for people. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Reads `.env` from `cwd` (when present) beneath the process environment, which wins. */
export function loadEnv(processEnv: Env, cwd: string): Env {
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return { ...processEnv };
  const fromFile = parseDotenv(readFileSync(file));
  return { ...fromFile, ...processEnv };
}

/** A small collector so every variable's problem ends up in one message. */
class EnvReader implements SettingsReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** The trimmed value, or undefined when unset or empty. */
  raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  /** True when the variable is present, even empty (`ALERT_TO=` means "none", not "unset"). */
  isSet(name: string): boolean {
    return this.env[name] !== undefined;
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

  /** A comma-separated list of email addresses (empty when unset). */
  emailList(name: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const addresses = value.split(',').map((part) => part.trim()).filter((part) => part !== '');
    for (const address of addresses) {
      if (!/^[^\s@,<>"]+@[^\s@,<>"]+\.[^\s@,<>"]+$/.test(address)) {
        this.problems.push(`${name}: not an email address: ${JSON.stringify(address)}`);
      }
    }
    return [...new Set(addresses)];
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

  // Each upstream's section, in registry order; null when its credentials are unset.
  const upstreams = Object.fromEntries(UPSTREAMS.map((upstream) => [upstream.name, upstream.config.read(read)])) as unknown as UpstreamConfigs;

  const config: Config = {
    databasePath: read.string('DATABASE_URL', './data/waba-sync.sqlite'),
    databaseBusyTimeoutMs: read.int('DATABASE_BUSY_TIMEOUT_SECONDS', 30, 0, 3_600) * 1000,
    timezone: read.timezone('TIMEZONE', 'UTC'),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    logFormat: read.raw('LOG_FORMAT') === undefined ? null : (read.oneOf('LOG_FORMAT', 'json', LOG_FORMATS) as LogFormat),
    http: {
      timeoutMs: read.int('HTTP_TIMEOUT_MS', 30_000, 100, 600_000),
      retries: read.int('HTTP_RETRIES', 3, 0, 10),
      retryBaseMs: read.int('HTTP_RETRY_BASE_MS', 1000, 1, 60_000),
      maxResponseBytes: read.int('HTTP_MAX_RESPONSE_BYTES', DEFAULT_MAX_RESPONSE_BYTES, 1024, 2 ** 31 - 1),
    },
    syncCron: read.cron('SYNC_CRON', '*/15 * * * *'),
    fullSyncCron: read.cron('FULL_SYNC_CRON', '0 */6 * * *'),
    httpPort: read.int('HTTP_PORT', 9464, 0, 65_535),
    httpHost: read.string('HTTP_HOST', '127.0.0.1'),
    webhook: {
      port: read.raw('WEBHOOK_PORT') === undefined ? null : read.int('WEBHOOK_PORT', 0, 0, 65_535),
      host: read.string('WEBHOOK_HOST', '127.0.0.1'),
      trustProxy: read.oneOf('WEBHOOK_TRUST_PROXY', '0', ['0', '1']) === '1',
      fullPullMinIntervalSeconds: read.int('WEBHOOK_FULL_PULL_MIN_INTERVAL_SECONDS', 600, 0, 7 * 86_400),
    },
    console: readConsole(read),
    healthMaxAgeSeconds: read.int('HEALTH_MAX_AGE_SECONDS', 3600, 1, 30 * 86_400),
    healthMaxFullAgeSeconds: read.raw('HEALTH_MAX_FULL_AGE_SECONDS') === undefined ? null : read.int('HEALTH_MAX_FULL_AGE_SECONDS', 0, 1, 366 * 86_400),
    fingerprintSecret: read.raw('FINGERPRINT_SECRET') ?? null,
    ...upstreams,
    mail: readMail(read),
    notify: {
      digestCron: read.cron('DIGEST_CRON', '0 7 * * *'),
      digestSectionLimit: read.int('DIGEST_SECTION_LIMIT', 25, 1, 10_000),
      alertAfterFailures: read.int('ALERT_AFTER_FAILURES', 3, 1, 1000),
      reconcileGraceHours: read.int('RECONCILE_GRACE_HOURS', 24, 0, 24 * 90),
      onboardingStuckDays: read.int('ONBOARDING_STUCK_DAYS', 7, 1, 365),
      outboxMaxAttempts: read.int('OUTBOX_MAX_ATTEMPTS', 8, 1, 100),
      outboxRetryBaseMs: read.int('OUTBOX_RETRY_BASE_SECONDS', 60, 1, 86_400) * 1000,
    },
    report: {
      to: read.emailList('REPORT_TO'),
      cron: read.cron('REPORT_CRON', '0 6 1 * *'),
      staleHours: read.int('REPORT_STALE_HOURS', 6, 0, 24 * 31),
      // node-cron 4 supports L (last day of the month) in the day-of-month field.
      monthEndSyncCron: read.cron('MONTH_END_SYNC_CRON', '50 23 L * *'),
    },
    retention: {
      eventsDays: readDays(read, 'RETAIN_EVENTS_DAYS'),
      historyDays: readDays(read, 'RETAIN_HISTORY_DAYS'),
      runsDays: readDays(read, 'RETAIN_RUNS_DAYS'),
      sentMailDays: readDays(read, 'RETAIN_SENT_MAIL_DAYS'),
    },
    delivery: readDeliveryConfig(read, env, knownEventTypes()),
    disabledReasons: Object.fromEntries(UPSTREAMS.filter((upstream) => upstreams[upstream.name] === null).map((upstream) => [upstream.name, disabledReason(upstream)])),
  };

  const databaseProblem = databaseUrlProblem(config.databasePath);
  if (databaseProblem !== null) read.problems.push(databaseProblem);
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return deepFreeze(config);
}

/** A retention period in whole days (1 to 100 years), or null when unset: keep everything. */
function readDays(read: EnvReader, name: string): number | null {
  return read.raw(name) === undefined ? null : read.int(name, 0, 1, 36_500);
}

/** DATABASE_URL: a SQLite file path, or a PostgreSQL URL that names a host (shown with its password masked). */
function databaseUrlProblem(value: string): string | null {
  const shown = JSON.stringify(maskDatabaseUrl(value));
  if (backendOf(value) === 'sqlite') {
    return value.includes('://') ? `DATABASE_URL: expected a SQLite file path or a postgres:// URL, got ${shown}` : null;
  }
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {}
  if (url === null || url.hostname === '') return `DATABASE_URL: expected postgres://user:password@host:port/database, got ${shown}`;
  return null;
}

export function enabledSources(config: Config): SourceName[] {
  return SOURCE_NAMES.filter((name) => config.disabledReasons[name] === undefined);
}

// ---- mail settings ----

/** The HTML standard's "valid email address" (what a browser's type=email accepts). */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function readMail(read: EnvReader): MailConfig {
  const smtp = readSmtpUrl(read);
  const from = read.raw('MAIL_FROM') ?? null;
  if (from !== null && !isAddress(from)) {
    read.problems.push(`MAIL_FROM: expected an email address or "Name <address>", got ${JSON.stringify(from)}`);
  }
  const digestTo = readAddressList(read, 'DIGEST_TO');
  // Unset: alerts go to DIGEST_TO; set but empty: no alerts.
  const alertTo = read.isSet('ALERT_TO') ? readAddressList(read, 'ALERT_TO') : digestTo;
  if (smtp && from === null) read.problems.push('MAIL_FROM: required because SMTP_URL is set');
  if (!smtp) {
    // REPORT_TO too: without mail the report job would silently never be scheduled.
    const wanting = ['DIGEST_TO', 'ALERT_TO', 'REPORT_TO'].filter((name) => read.raw(name) !== undefined);
    const names = wanting.length > 1 ? `${wanting.slice(0, -1).join(', ')} and ${wanting[wanting.length - 1]}` : wanting[0];
    if (wanting.length > 0) read.problems.push(`SMTP_URL: required because ${names} ${wanting.length > 1 ? 'are' : 'is'} set`);
  }
  return { smtp, from, digestTo, alertTo };
}

/** The URL may carry a password: problems never repeat the value. */
function readSmtpUrl(read: EnvReader): SmtpSettings | null {
  const value = read.raw('SMTP_URL');
  if (value === undefined) return null;
  const shape = 'expected smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port] (value not shown: it may hold a password)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    read.problems.push(`SMTP_URL: not a URL; ${shape}`);
    return null;
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    read.problems.push(`SMTP_URL: unsupported scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))}; ${shape}`);
    return null;
  }
  if (!url.hostname || (url.pathname !== '' && url.pathname !== '/') || url.search || url.hash) {
    read.problems.push(`SMTP_URL: ${url.hostname ? 'unexpected path or query' : 'missing host'}; ${shape}`);
    return null;
  }
  const secure = url.protocol === 'smtps:';
  const decode = (part: string) => (part === '' ? null : decodeURIComponent(part));
  let user: string | null;
  let pass: string | null;
  try {
    user = decode(url.username);
    pass = decode(url.password);
  } catch {
    // URIError: a "%" not followed by two hex digits (e.g. a password "50%off").
    read.problems.push(`SMTP_URL: the user or password is not valid percent-encoding; write a literal "%" as %25 (and @ : / as %40 %3A %2F); ${shape}`);
    return null;
  }
  const allowPlainAuth = read.oneOf('SMTP_ALLOW_PLAIN_AUTH', '0', ['0', '1']) === '1';
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    user,
    pass,
    // smtps:// is TLS from the first byte; without a user there is nothing to protect.
    requireTls: !secure && user !== null && !allowPlainAuth,
  };
}

function readAddressList(read: EnvReader, name: string): string[] {
  const value = read.raw(name);
  if (value === undefined) return [];
  const addresses = value.split(',').map((part) => part.trim()).filter(Boolean);
  const bad = addresses.filter((address) => !EMAIL.test(address));
  if (bad.length > 0 || addresses.length === 0) {
    read.problems.push(`${name}: expected comma-separated email addresses; not an address: ${bad.map((b) => JSON.stringify(b)).join(', ') || '(empty list)'}`);
    return [];
  }
  return addresses;
}

function isAddress(value: string): boolean {
  const named = /^[^<>]*<([^<>]+)>$/.exec(value);
  return EMAIL.test(named ? named[1]!.trim() : value);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The console's block: off (null) unless CONSOLE_USERS is set; its other settings are read either way. */
function readConsole(read: EnvReader): ConsoleConfig | null {
  const secureCookie = read.oneOf('CONSOLE_SECURE_COOKIE', '0', ['0', '1']) === '1';
  const idleMs = read.int('CONSOLE_IDLE_MINUTES', 30, 1, 7 * 24 * 60) * 60_000;
  const value = read.raw('CONSOLE_USERS');
  if (value === undefined) return null;
  const { users, problems } = parseConsoleUsers(value);
  read.problems.push(...problems);
  return { users, secureCookie, idleMs };
}
