/**
 * An email as the notify layer hands it to the outbox: rendered, addressed, and carrying a
 * permanent idempotency key (the same logical email always gets the same key, so it is queued once).
 */
export interface EmailAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer | string;
  /** For inline images referenced from the HTML as cid:… */
  readonly cid?: string;
}

export interface OutgoingEmail {
  /** Permanent: e.g. "digest:<first-event-id>-<last-event-id>", "report:2026-10:ops@example.com". */
  readonly idempotencyKey: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly attachments?: readonly EmailAttachment[];
}
