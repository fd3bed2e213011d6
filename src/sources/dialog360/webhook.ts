/**
 * 360dialog's partner webhook (UPSTREAM.md §5): `X-360Dialog-Signature`, the hex HMAC-SHA256 of
 * the raw body with DIALOG360_WEBHOOK_SECRET. Client and channel lifecycle events → read that
 * client or channel by id; `account_violation` / `account_restriction` → `channel.account_update`
 * (and an alert). The payload shape is observed, not documented: read defensively.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Entity } from '../../diff/types.js';
import { isObject } from '../validation.js';
import { type WebhookEvent, type WebhookReader, unhandledPlan } from '../upstream.js';
import type { Dialog360Config } from './config.js';

export const CHANNEL_ACCOUNT_UPDATE = 'channel.account_update';
const CHANNEL_EVENTS = new Set(['channel_created', 'channel_submitted', 'channel_ready', 'channel_running', 'channel_live']);
const ACCOUNT_EVENTS: Readonly<Record<string, string>> = { account_violation: 'policy violation', account_restriction: 'restriction' };

/** A 360dialog id, as text; a number only while JSON.parse kept it exact. */
function idOf(value: unknown): string | null {
  if (typeof value === 'string') return /^[A-Za-z0-9_-]{1,64}$/.test(value) ? value : null;
  return Number.isSafeInteger(value) && (value as number) >= 0 ? String(value) : null;
}

export const dialog360Webhook: WebhookReader<Dialog360Config> = {
  path: 'dialog360',
  // Its events carry no time: the same violation on the same channel a week later reads the same.
  sameBodyMayRepeat: true,
  enabled: (config) => config.webhookSecret !== null,
  authenticate(config, request) {
    const header = request.headers['x-360dialog-signature'];
    const hex = typeof header === 'string' ? header.replace(/^sha256=/, '') : '';
    if (config.webhookSecret === null || !/^[0-9a-fA-F]{64}$/.test(hex)) return { ok: false, status: 401, reason: 'signature' };
    const expected = createHmac('sha256', config.webhookSecret).update(request.rawBody).digest();
    return timingSafeEqual(Buffer.from(hex.toLowerCase(), 'hex'), expected) ? { ok: true } : { ok: false, status: 401, reason: 'signature' };
  },
  interpret(body) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return unhandledPlan('not JSON');
    }
    if (!isObject(parsed) || typeof parsed.event !== 'string') return unhandledPlan('no event');
    const event = parsed.event;
    const data = isObject(parsed.data) ? parsed.data : {};
    const id = idOf(data.id);
    if (event === 'client_created') return id ? { targets: [`client:${id}`], fullPull: null, events: [], unhandled: [] } : unhandledPlan(`${event} without data.id`);
    if (CHANNEL_EVENTS.has(event)) {
      if (!id) return unhandledPlan(`${event} without data.id`);
      const clientId = idOf(data.client_id);
      const targets = [`channel:${id}`, ...(clientId ? [`client:${clientId}`] : [])];
      return { targets, fullPull: null, events: [], unhandled: [] };
    }
    const what = ACCOUNT_EVENTS[event];
    if (what) {
      const setup = isObject(data.setup_info) ? data.setup_info : {};
      const phone = typeof data.phone_number === 'string' ? data.phone_number : typeof setup.phone_number === 'string' ? setup.phone_number : null;
      const key = id ?? phone;
      if (!key) return unhandledPlan(`${event} without a channel or phone number`);
      const accountEvent: WebhookEvent = { type: CHANNEL_ACCOUNT_UPDATE, key, after: { ...data, event } as Entity, alert: `360dialog reports a ${what} on channel ${key}` };
      return { targets: id ? [`channel:${id}`] : [], fullPull: null, events: [accountEvent], unhandled: [] };
    }
    return unhandledPlan(event);
  },
};
