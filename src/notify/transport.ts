/**
 * The mail transport, declared as narrowly as the outbox uses it, and built from SMTP_URL:
 * smtp:// speaks plain SMTP and upgrades with STARTTLS when the server offers it — and must, when
 * SMTP_URL carries credentials (`requireTls`: nodemailer then fails before AUTH); smtps:// is TLS
 * from the first byte. The password travels only inside nodemailer's options.
 */
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { SmtpSettings } from '../config.js';
import type { SecretScrubber } from '../secrets.js';
import { stripControlChars } from '../render/plain-text.js';

export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  readonly messageId: string;
  readonly date: Date;
  readonly attachments: readonly { filename: string; contentType: string; content: Buffer; cid?: string }[];
}

export interface MailTransport {
  sendMail(message: MailMessage): Promise<unknown>;
  close(): void;
}

export interface SmtpTimeouts {
  /** Connecting and the greeting; default 30 s. */
  readonly connectionTimeoutMs?: number;
  /** Idle socket; default 60 s. */
  readonly socketTimeoutMs?: number;
}

export function smtpTransport(settings: SmtpSettings, timeouts: SmtpTimeouts = {}): MailTransport {
  const transporter = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTls,
    ...(settings.user !== null ? { auth: { user: settings.user, pass: settings.pass ?? '' } } : {}),
    connectionTimeout: timeouts.connectionTimeoutMs ?? 30_000,
    greetingTimeout: timeouts.connectionTimeoutMs ?? 30_000,
    socketTimeout: timeouts.socketTimeoutMs ?? 60_000,
    logger: false,
    debug: false,
  });
  return {
    sendMail: (message) => transporter.sendMail(toNodemailer(message)),
    close: () => transporter.close(),
  };
}

/** The raw RFC 5322 message (for `digest --preview`), built exactly as it would be sent. */
export async function renderRawMessage(message: MailMessage): Promise<Buffer> {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = (await transporter.sendMail(toNodemailer(message))) as { message: Buffer };
  return info.message;
}

function toNodemailer(message: MailMessage): SendMailOptions {
  return {
    from: message.from,
    to: [...message.to],
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    date: message.date,
    attachments: message.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content, ...(a.cid ? { cid: a.cid } : {}) })),
  };
}

/** One line for the outbox's last_error and logs: the SMTP code and reply, never a credential nor a control character. */
export function describeSendError(error: unknown, scrubber: SecretScrubber): string {
  const e = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts: string[] = [];
  if (typeof e?.code === 'string') parts.push(e.code);
  if (typeof e?.responseCode === 'number') parts.push(String(e.responseCode));
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const text = stripControlChars(scrubber.scrub(`${parts.length > 0 ? `${parts.join(' ')}: ` : ''}${message}`))
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
