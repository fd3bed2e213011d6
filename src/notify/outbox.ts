/**
 * The outbox: every email is first written here, inside the transaction that decides it (a digest
 * marking its events covered, an alert opening an episode), under a permanent idempotency key.
 * `drainOutbox` sends what is due, with retries and exponential backoff; after `maxAttempts` an
 * email is marked failed (and still listed by `outbox`).
 *
 * Delivery is at least once: a crash after the SMTP server accepted a message but before it was
 * marked sent sends it again on the next drain — with the same Message-ID, so the duplicate is
 * recognisable. Nothing is ever lost: an email leaves `pending` only as `sent` or `failed`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from '../../db/database.js';
import type { Database, OutboxRow, OutboxStatus } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { SecretScrubber } from '../secrets.js';
import { type HeldLease, withLease } from '../sync/lease.js';
import type { EmailAttachment, OutgoingEmail } from './email.js';
import type { MailMessage, MailTransport } from './transport.js';
import { describeSendError } from './transport.js';

interface StoredAttachment {
  filename: string;
  contentType: string;
  cid?: string;
  contentBase64: string;
}

/**
 * Queues an email unless one with the same idempotency key was queued before (then nothing
 * changes). Returns whether it was newly queued. Runs in the caller's transaction, so the email
 * exists exactly when the decision that produced it was committed.
 */
export async function enqueueEmail(trx: Transaction<Database>, email: OutgoingEmail, now: Date): Promise<boolean> {
  if (email.to.length === 0) throw new Error(`email ${email.idempotencyKey}: no recipients`);
  const at = now.toISOString();
  const result = await trx
    .insertInto('outbox')
    .values({
      idempotency_key: email.idempotencyKey,
      message_id: messageIdFor(email.idempotencyKey),
      recipients: JSON.stringify(email.to),
      subject: email.subject,
      text_body: email.text,
      html_body: email.html,
      attachments: JSON.stringify((email.attachments ?? []).map(storeAttachment)),
      status: 'pending',
      attempts: 0,
      next_attempt_at: at,
      last_error: null,
      created_at: at,
      sent_at: null,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/**
 * `<hash-of-key.random@waba-sync>`: derived from the key, fixed when queued and reused on every
 * attempt. The random part keeps two databases (a demo and production, or a database started
 * afresh) from ever sending different emails with one Message-ID, which mail providers drop.
 */
export function messageIdFor(idempotencyKey: string): string {
  const digest = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24);
  return `<${digest}.${randomBytes(6).toString('hex')}@waba-sync>`;
}

export interface DrainDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly transport: MailTransport;
  /** The From header. */
  readonly from: string;
  readonly maxAttempts: number;
  /** Delay after the first failed attempt; doubles with each further one (capped at 6 hours). */
  readonly retryBaseMs: number;
  /** Cuts secrets (the SMTP password among them) out of a stored or logged error; default: URL queries only. */
  readonly scrubber?: SecretScrubber;
  /** The drain lease's time-to-live (default LEASE_TTL_MS); also renewed before each email. */
  readonly leaseTtlMs?: number;
  /**
   * Try every pending email now, whatever its backoff: for a command an operator types (the mail
   * server is back and they want the mail out). The daemon leaves it off and keeps the backoff.
   */
  readonly ignoreBackoff?: boolean;
}

export interface DrainResult {
  readonly sent: number;
  /** Attempts that failed and will be retried later. */
  readonly deferred: number;
  /** Emails that used their last attempt in this drain. */
  readonly failed: number;
  /** Emails still pending after this drain (due later, or not tried after a failure). */
  readonly pending: number;
  /** Another process was draining. */
  readonly busy: boolean;
  readonly lastError: string | null;
}

const LEASE = 'outbox';
const MAX_BACKOFF_MS = 6 * 3_600_000;
const BATCH = 50;

/**
 * Sends every due email, oldest first. One process at a time (a lease). After a failure it stops:
 * a mail server that refused one email will most likely refuse the next, and the rest should not
 * spend attempts on an outage.
 */
export async function drainOutbox(deps: DrainDeps): Promise<DrainResult> {
  const { db } = deps;
  const leased = await withLease(deps, LEASE, (lease) => drainHoldingLease(deps, lease), { ttlMs: deps.leaseTtlMs });
  if (!leased.acquired) return { sent: 0, deferred: 0, failed: 0, pending: await countPending(db), busy: true, lastError: null };
  return { ...leased.value, pending: await countPending(db), busy: false };
}

async function drainHoldingLease(deps: DrainDeps, lease: HeldLease): Promise<Pick<DrainResult, 'sent' | 'deferred' | 'failed' | 'lastError'>> {
  const { db, clock, log } = deps;
  let sent = 0;
  let deferred = 0;
  let failed = 0;
  let lastError: string | null = null;
  drain: for (;;) {
    // Ignoring the backoff still ends: a sent email leaves `pending`, and a failure stops the drain.
    const due = await db
      .selectFrom('outbox')
      .selectAll()
      .where('status', '=', 'pending')
      .$if(!deps.ignoreBackoff, (qb) => qb.where('next_attempt_at', '<=', clock().toISOString()))
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(BATCH)
      .execute();
    if (due.length === 0) break;
    for (const row of due) {
      // The drain behind a slow server can outlast one TTL: the lease is renewed as it runs, and
      // here before each email. Lost — we lapsed and another process took over — means stop: it
      // sends the rest, and carrying on would send them twice.
      if (!(await lease.renew())) {
        log.warn({ outboxId: row.id }, 'outbox lease lost to another process; leaving the rest to it');
        break drain;
      }
      const attempts = row.attempts + 1;
      try {
        await deps.transport.sendMail(mailMessage(row, deps.from));
      } catch (error) {
        lastError = describeSendError(error, deps.scrubber ?? new SecretScrubber());
        const exhausted = attempts >= deps.maxAttempts;
        const delay = Math.min(deps.retryBaseMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
        await db
          .updateTable('outbox')
          .set({
            status: exhausted ? 'failed' : 'pending',
            attempts,
            last_error: lastError,
            next_attempt_at: new Date(clock().getTime() + delay).toISOString(),
          })
          .where('id', '=', row.id)
          .execute();
        if (exhausted) failed += 1;
        else deferred += 1;
        log.warn(
          { outboxId: row.id, key: row.idempotency_key, attempts, status: exhausted ? 'failed' : 'pending', err: { message: lastError } },
          exhausted ? 'email failed for good' : 'email not sent; will retry',
        );
        break drain;
      }
      await db
        .updateTable('outbox')
        .set({ status: 'sent', attempts, sent_at: clock().toISOString(), last_error: null })
        .where('id', '=', row.id)
        .execute();
      sent += 1;
      log.info({ outboxId: row.id, key: row.idempotency_key, messageId: row.message_id }, 'email sent');
    }
  }
  return { sent, deferred, failed, lastError };
}

async function countPending(db: Db): Promise<number> {
  const row = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The message exactly as sent: the same headers (Message-ID, Date) on every attempt. */
export function mailMessage(row: OutboxRow, from: string): MailMessage {
  return {
    from,
    to: JSON.parse(row.recipients) as string[],
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    messageId: row.message_id,
    date: new Date(row.created_at),
    attachments: (JSON.parse(row.attachments) as StoredAttachment[]).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: Buffer.from(a.contentBase64, 'base64'),
      ...(a.cid ? { cid: a.cid } : {}),
    })),
  };
}

/** An email as it would go out if queued now (for previews): a fresh Message-ID from its key. */
export function previewMessage(email: OutgoingEmail, from: string, now: Date): MailMessage {
  return {
    from,
    to: email.to,
    subject: email.subject,
    text: email.text,
    html: email.html,
    messageId: messageIdFor(email.idempotencyKey),
    date: now,
    attachments: (email.attachments ?? []).map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : a.content,
      ...(a.cid ? { cid: a.cid } : {}),
    })),
  };
}

function storeAttachment(attachment: EmailAttachment): StoredAttachment {
  const content = typeof attachment.content === 'string' ? Buffer.from(attachment.content, 'utf8') : attachment.content;
  return {
    filename: attachment.filename,
    contentType: attachment.contentType,
    ...(attachment.cid ? { cid: attachment.cid } : {}),
    contentBase64: content.toString('base64'),
  };
}

export interface OutboxListing {
  readonly id: number;
  readonly key: string;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly to: string[];
  readonly subject: string;
  readonly createdAt: string;
  readonly nextAttemptAt: string;
  readonly sentAt: string | null;
  readonly lastError: string | null;
}

/** Pending and failed emails (all of them), then the most recent sent ones. */
export async function listOutbox(db: Db, options: { recentSent?: number } = {}): Promise<OutboxListing[]> {
  const columns = ['id', 'idempotency_key', 'status', 'attempts', 'recipients', 'subject', 'created_at', 'next_attempt_at', 'sent_at', 'last_error'] as const;
  const open = await db.selectFrom('outbox').select(columns).where('status', 'in', ['pending', 'failed']).orderBy('id').execute();
  const sent = await db
    .selectFrom('outbox')
    .select(columns)
    .where('status', '=', 'sent')
    .orderBy('id', 'desc')
    .limit(options.recentSent ?? 10)
    .execute();
  return [...open, ...sent.reverse()].map((row) => ({
    id: row.id,
    key: row.idempotency_key,
    status: row.status,
    attempts: row.attempts,
    to: JSON.parse(row.recipients) as string[],
    subject: row.subject,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    sentAt: row.sent_at,
    lastError: row.last_error,
  }));
}
