/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the headers `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature` = `v1,` + base64 HMAC-SHA256 under the
 * secret's bytes (the base64 after `whsec_`) of "id.timestamp.body". Any Standard Webhooks library
 * verifies them (test/delivery/signing.test.ts uses the `standardwebhooks` package).
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

export function signatureHeaders(secret: string, webhookId: string, at: Date, body: string): WebhookHeaders {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${webhookId}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': webhookId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/**
 * A new webhook-id, fixed when the delivery is decided and reused on every attempt. Random rather
 * than derived from the event id: a database started afresh numbers its events from 1 again, and
 * a receiver deduplicating by id must not drop those as repeats.
 */
export function newWebhookId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`;
}
