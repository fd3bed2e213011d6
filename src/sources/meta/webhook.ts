/**
 * Meta's webhooks (UPSTREAM.md §5): the verification handshake, `X-Hub-Signature-256` over the raw
 * bytes, and what each change asks of us.
 *
 * - `account_update` PARTNER_ADDED / PARTNER_APP_INSTALLED: read that WABA (`value.waba_info.waba_id`
 *   — `entry.id` is the partner's business there) → `waba.shared` and its numbers.
 * - `account_review_update`, `phone_number_quality_update`, `phone_number_name_update`: read the
 *   WABA `entry.id` with its numbers → review, quality and name changes (the quality webhook carries
 *   no rating: the read does).
 * - What no poll sees (violations, restrictions, bans, deletion, offboarding, a partner removal,
 *   `account_alerts`) → `waba.account_update`, the value as it came with its event. A removal or a
 *   deletion also asks for a full pull (debounced): only a complete listing can say a WABA is gone.
 *
 * Meta's examples put fields in odd places, so everything is read defensively: a change we can't
 * place is counted as unhandled, never an error.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { sameSecret } from '../../intake/secrets.js';
import type { Entity } from '../../diff/types.js';
import { isObject } from '../validation.js';
import { type WebhookEvent, type WebhookPlan, type WebhookReader, unhandledPlan } from '../upstream.js';
import type { MetaConfig } from './config.js';

/** A targeted read of one WABA with its phone numbers. */
export const wabaTarget = (id: string) => `waba:${id}`;
export const ACCOUNT_UPDATE = 'waba.account_update';

const READ_WABA = new Set(['PARTNER_ADDED', 'PARTNER_APP_INSTALLED']);
/** Only a full pull can confirm these (a WABA gone from the listing). */
const CONFIRM_BY_FULL_PULL = new Set(['PARTNER_REMOVED', 'PARTNER_APP_UNINSTALLED', 'ACCOUNT_DELETED']);
/** Told to ALERT_TO at once, and head the digest. */
const ALERTS: Readonly<Record<string, string>> = {
  ACCOUNT_VIOLATION: 'policy violation',
  ACCOUNT_RESTRICTION: 'restriction',
  DISABLED_UPDATE: 'ban',
};
const ACCOUNT_EVENTS = new Set([...CONFIRM_BY_FULL_PULL, ...Object.keys(ALERTS), 'ACCOUNT_OFFBOARDED', 'ACCOUNT_RECONNECTED']);
const READ_WABA_FIELDS = new Set(['account_review_update', 'phone_number_quality_update', 'phone_number_name_update']);

/**
 * A Graph id: digits, quoted or not (UPSTREAM.md: samples show both, as the polls accept); an
 * unquoted one only while JSON.parse kept it exact. Anything else in a webhook is not an id we read.
 */
function idOf(value: unknown): string | null {
  if (typeof value === 'string') return /^\d{1,30}$/.test(value) ? value : null;
  return Number.isSafeInteger(value) && (value as number) >= 0 ? String(value) : null;
}

export const metaWebhook: WebhookReader<MetaConfig> = {
  path: 'meta',
  enabled: (config) => config.webhook !== null,
  handshake(config, query) {
    const token = query.get('hub.verify_token') ?? '';
    if (query.get('hub.mode') !== 'subscribe' || !config.webhook || !sameSecret(token, config.webhook.verifyToken)) {
      return { status: 403, body: 'verification failed', reason: 'verify_token' };
    }
    return { status: 200, body: query.get('hub.challenge') ?? '' };
  },
  authenticate(config, request) {
    const header = request.headers['x-hub-signature-256'];
    const given = typeof header === 'string' && /^sha256=[0-9a-fA-F]{64}$/.test(header) ? Buffer.from(header.slice(7).toLowerCase(), 'hex') : null;
    if (!config.webhook || given === null) return { ok: false, status: 401, reason: 'signature' };
    const expected = createHmac('sha256', config.webhook.appSecret).update(request.rawBody).digest();
    return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, status: 401, reason: 'signature' };
  },
  interpret: interpretMeta,
};

export function interpretMeta(body: string): WebhookPlan {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return unhandledPlan('not JSON');
  }
  if (!isObject(parsed) || !Array.isArray(parsed.entry)) return unhandledPlan('no entry list');
  const targets = new Set<string>();
  const events: WebhookEvent[] = [];
  const unhandled: string[] = [];
  let fullPull = false;
  for (const entry of parsed.entry) {
    if (!isObject(entry) || !Array.isArray(entry.changes)) {
      unhandled.push('entry without changes');
      continue;
    }
    const entryId = idOf(entry.id);
    // Unix seconds, when Meta says the change happened: what tells a resend from a repeat.
    const occurredAt = typeof entry.time === 'number' && Number.isSafeInteger(entry.time) && entry.time > 0 ? { occurredAt: new Date(entry.time * 1000).toISOString() } : {};
    for (const change of entry.changes) {
      const field = isObject(change) && typeof change.field === 'string' ? change.field : '?';
      const value = isObject(change) && isObject(change.value) ? change.value : null;
      if (value === null) {
        unhandled.push(field);
        continue;
      }
      if (READ_WABA_FIELDS.has(field)) {
        if (entryId) targets.add(wabaTarget(entryId));
        else unhandled.push(`${field} without a WABA id`);
        continue;
      }
      if (field === 'account_alerts') {
        if (entryId) events.push({ type: ACCOUNT_UPDATE, key: entryId, after: { ...value, event: typeof value.event === 'string' ? value.event : 'ACCOUNT_ALERT' } as Entity, ...occurredAt });
        else unhandled.push('account_alerts without an id');
        continue;
      }
      if (field !== 'account_update') {
        unhandled.push(field);
        continue;
      }
      const event = typeof value.event === 'string' ? value.event : '';
      const wabaInfo = isObject(value.waba_info) ? value.waba_info : null;
      const wabaId = idOf(wabaInfo?.waba_id);
      if (READ_WABA.has(event)) {
        if (wabaId) targets.add(wabaTarget(wabaId));
        else unhandled.push(`account_update ${event} without waba_info.waba_id`);
        continue;
      }
      if (!ACCOUNT_EVENTS.has(event)) {
        unhandled.push(`account_update ${event || '(no event)'}`);
        continue;
      }
      // The WABA it names; else the entry's id (the WABA, or the business for partner events).
      const key = wabaId ?? entryId;
      if (!key) {
        unhandled.push(`account_update ${event} without an id`);
        continue;
      }
      const alert = ALERTS[event];
      events.push({ type: ACCOUNT_UPDATE, key, after: { ...value, event } as Entity, ...(alert ? { alert: `Meta reports a ${alert} on WABA ${key}` } : {}), ...occurredAt });
      if (CONFIRM_BY_FULL_PULL.has(event)) fullPull = true;
    }
  }
  return { targets: [...targets], fullPull: fullPull ? 'debounced' : null, events, unhandled };
}
