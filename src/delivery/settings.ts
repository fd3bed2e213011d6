/**
 * Outgoing event delivery settings (issue 19), read from the environment by src/config.ts:
 * - one subscription per `EVENT_WEBHOOK_<NAME>_URL` (NAME = [A-Z0-9_]+) with its
 *   `EVENT_WEBHOOK_<NAME>_SECRET` (`whsec_` + base64 of at least 24 bytes, as Standard Webhooks
 *   writes it), optional `_TYPES` (types or families like `waba.*`; all when unset) and
 *   `_ALLOW_HTTP=1` (plain http to a host other than loopback);
 * - the retry schedule, the request timeout, and `CHAT_WEBHOOK_URL` (Slack-compatible).
 * Every problem names its variable; secret values are never repeated in a message.
 */
import { isIP } from 'node:net';

export interface EventSubscription {
  /** NAME of EVENT_WEBHOOK_<NAME>_URL, as written (upper case). */
  readonly name: string;
  readonly url: string;
  /** `whsec_…`: a secret; never logged, printed or stored. */
  readonly secret: string;
  /** Exact types and families (`waba.*`); null = every event type. */
  readonly types: readonly string[] | null;
}

export interface DeliveryConfig {
  readonly subscriptions: readonly EventSubscription[];
  /** Delays after the 1st, 2nd, … failed attempt; the last one repeats until `giveUpAfterMs`. */
  readonly retryDelaysMs: readonly number[];
  /** A delivery still failing this long after its first attempt is marked failed (and alerted once). */
  readonly giveUpAfterMs: number;
  /** Per request: connecting, sending and reading the (bounded) answer. */
  readonly timeoutMs: number;
  /**
   * Requests in flight per subscription (each for a different entity). 1: a crash between sending
   * and marking repeats at most one delivery per subscription; N: at most N.
   */
  readonly concurrency: number;
  /** CHAT_WEBHOOK_URL: a secret too (the path is the credential); null = no chat messages. */
  readonly chatUrl: string | null;
}

/** What this module needs from config.ts's reader. */
export interface DeliverySettingsReader {
  readonly problems: string[];
  raw(name: string): string | undefined;
  int(name: string, fallback: number, min: number, max: number): number;
}

export const DEFAULT_RETRY_SCHEDULE = '5s,30s,2m,10m,1h,3h';
export const DEFAULT_GIVE_UP_HOURS = 72;
export const DEFAULT_TIMEOUT_SECONDS = 10;

const PREFIX = 'EVENT_WEBHOOK_';
const SETTINGS = new Set(['EVENT_WEBHOOK_RETRY_SCHEDULE', 'EVENT_WEBHOOK_GIVE_UP_HOURS', 'EVENT_WEBHOOK_TIMEOUT_SECONDS', 'EVENT_WEBHOOK_CONCURRENCY']);
const FIELD = /^EVENT_WEBHOOK_(.+)_(URL|SECRET|TYPES|ALLOW_HTTP)$/;
const NAME = /^[A-Z0-9_]+$/;

export function readDeliveryConfig(read: DeliverySettingsReader, env: Readonly<Record<string, string | undefined>>, knownTypes: readonly string[]): DeliveryConfig {
  const names = new Set<string>();
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith(PREFIX) || SETTINGS.has(variable)) continue;
    const match = FIELD.exec(variable);
    if (!match) {
      read.problems.push(`${variable}: unknown setting; expected EVENT_WEBHOOK_<NAME>_URL, _SECRET, _TYPES or _ALLOW_HTTP`);
      continue;
    }
    if (!NAME.test(match[1]!)) {
      read.problems.push(`${variable}: the subscription name must be upper-case letters, digits and _ (EVENT_WEBHOOK_<NAME>_URL)`);
      continue;
    }
    names.add(match[1]!);
  }
  const subscriptions: EventSubscription[] = [];
  for (const name of names) {
    const subscription = readSubscription(read, name, knownTypes);
    if (subscription) subscriptions.push(subscription);
  }
  return {
    subscriptions,
    retryDelaysMs: readSchedule(read, 'EVENT_WEBHOOK_RETRY_SCHEDULE'),
    giveUpAfterMs: read.int('EVENT_WEBHOOK_GIVE_UP_HOURS', DEFAULT_GIVE_UP_HOURS, 1, 24 * 90) * 3_600_000,
    timeoutMs: read.int('EVENT_WEBHOOK_TIMEOUT_SECONDS', DEFAULT_TIMEOUT_SECONDS, 1, 120) * 1000,
    concurrency: read.int('EVENT_WEBHOOK_CONCURRENCY', 1, 1, 64),
    chatUrl: readEndpoint(read, 'CHAT_WEBHOOK_URL', false, { secretUrl: true }),
  };
}

function readSubscription(read: DeliverySettingsReader, name: string, knownTypes: readonly string[]): EventSubscription | null {
  const v = (field: string) => `${PREFIX}${name}_${field}`;
  const allowHttpValue = read.raw(v('ALLOW_HTTP')) ?? '0';
  if (allowHttpValue !== '0' && allowHttpValue !== '1') read.problems.push(`${v('ALLOW_HTTP')}: expected 0 or 1, got ${JSON.stringify(allowHttpValue)}`);
  if (read.raw(v('URL')) === undefined) {
    read.problems.push(`${v('URL')}: required because other EVENT_WEBHOOK_${name}_* variables are set`);
    return null;
  }
  const url = readEndpoint(read, v('URL'), allowHttpValue === '1', { secretUrl: false });
  const secret = readSecret(read, v('SECRET'));
  const types = readTypes(read, v('TYPES'), knownTypes);
  if (url === null || secret === null || types === undefined) return null;
  return { name, url, secret, types };
}

/** https, or http to loopback (or anywhere with `allowHttp`); no credentials in the URL. */
function readEndpoint(read: DeliverySettingsReader, variable: string, allowHttp: boolean, options: { secretUrl: boolean }): string | null {
  const value = read.raw(variable);
  if (value === undefined) return null;
  // A chat webhook's path is its credential: never repeat it.
  const shown = options.secretUrl ? '(value not shown: the URL is a credential)' : JSON.stringify(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    read.problems.push(`${variable}: not a URL: ${shown}`);
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    read.problems.push(`${variable}: expected an https:// URL, got ${shown}`);
    return null;
  }
  if (url.username || url.password) {
    read.problems.push(`${variable}: must not contain credentials (user:password@)`);
    return null;
  }
  if (url.protocol === 'http:' && !allowHttp && !isLoopback(url.hostname)) {
    const hint = variable.endsWith('_URL') && variable.startsWith(PREFIX) ? `; set ${variable.replace(/_URL$/, '_ALLOW_HTTP')}=1 to allow it` : '';
    read.problems.push(`${variable}: plain http:// is allowed only to loopback (events and signatures would cross the network unencrypted)${hint}`);
    return null;
  }
  return value;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** `whsec_` + base64 of at least 24 bytes (Standard Webhooks' own minimum for generated secrets). */
function readSecret(read: DeliverySettingsReader, variable: string): string | null {
  const value = read.raw(variable);
  if (value === undefined) {
    read.problems.push(`${variable}: required (whsec_ followed by base64 of at least 24 random bytes)`);
    return null;
  }
  const body = value.startsWith('whsec_') ? value.slice('whsec_'.length) : null;
  if (body === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0 || Buffer.from(body, 'base64').length < 24) {
    read.problems.push(`${variable}: expected whsec_ followed by base64 of at least 24 random bytes (value not shown), e.g. from: node -e "console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))"`);
    return null;
  }
  return value;
}

/** undefined: invalid (already reported); null: all types. */
function readTypes(read: DeliverySettingsReader, variable: string, knownTypes: readonly string[]): readonly string[] | null | undefined {
  const value = read.raw(variable);
  if (value === undefined) return null;
  const entries = [...new Set(value.split(',').map((part) => part.trim()).filter(Boolean))];
  const unknown = entries.filter((entry) => !knownTypes.some((type) => typeMatches(entry, type)));
  if (entries.length === 0 || unknown.length > 0) {
    const families = [...new Set(knownTypes.map((type) => `${type.split('.')[0]}.*`))];
    read.problems.push(
      `${variable}: ${entries.length === 0 ? 'empty list' : `unknown event type or family ${unknown.map((u) => JSON.stringify(u)).join(', ')}`}; expected a comma list of types (${knownTypes.join(', ')}) or families (${families.join(', ')})`,
    );
    return undefined;
  }
  return entries;
}

/** An entry is an exact type, or a family `prefix.*` covering `prefix.anything`. */
export function typeMatches(entry: string, type: string): boolean {
  return entry.endsWith('.*') ? type.startsWith(entry.slice(0, -1)) && type.length > entry.length - 1 : entry === type;
}

/** Whether a subscription takes events of this type. */
export function subscribes(subscription: Pick<EventSubscription, 'types'>, type: string): boolean {
  return subscription.types === null || subscription.types.some((entry) => typeMatches(entry, type));
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "5s,30s,2m,10m,1h,3h": the delays after each failed attempt; the last repeats. */
function readSchedule(read: DeliverySettingsReader, variable: string): number[] {
  const value = read.raw(variable) ?? DEFAULT_RETRY_SCHEDULE;
  const delays = value.split(',').map((part) => {
    const match = /^(\d+)(s|m|h|d)$/.exec(part.trim());
    return match ? Number(match[1]) * UNIT_MS[match[2]!]! : Number.NaN;
  });
  if (delays.some((delay) => !(delay >= 1000 && delay <= 7 * 86_400_000))) {
    read.problems.push(`${variable}: expected a comma list of delays from 1s to 7d like ${DEFAULT_RETRY_SCHEDULE} (the last repeats), got ${JSON.stringify(value)}`);
    return parseDefault();
  }
  return delays;
}

function parseDefault(): number[] {
  return DEFAULT_RETRY_SCHEDULE.split(',').map((part) => Number(part.slice(0, -1)) * UNIT_MS[part.slice(-1)]!);
}

/** The delay after the `attempts`-th failed attempt (1-based). */
export function retryDelayMs(schedule: readonly number[], attempts: number): number {
  return schedule[Math.min(attempts, schedule.length) - 1] ?? schedule[schedule.length - 1] ?? 5000;
}
