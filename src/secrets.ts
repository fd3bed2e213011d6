/**
 * Secrets kept out of what we store and say:
 * - keyed fingerprints of secrets we must notice changing (e.g. a number's apiKey) without keeping
 *   them: HMAC-SHA256 under FINGERPRINT_SECRET, or under a random key generated once and kept in
 *   the database when that is unset (set it to keep the key apart from the data);
 * - the scrubber that cuts every known secret out of messages.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { passwordOf } from '../db/url.js';
import type { Config } from './config.js';
import { describeError, stripUrlSecrets } from './errors.js';

export type Fingerprint = (secret: string) => string;

/** The fingerprint, its key read (or made once) when first asked for: only a pull needs it. */
export type FingerprintSource = () => Promise<Fingerprint>;

const SETTING = 'fingerprint_key';

export async function loadFingerprint(db: Db, configuredSecret: string | null): Promise<Fingerprint> {
  const key = configuredSecret ?? (await storedKey(db));
  return (secret) => `hmac:${createHmac('sha256', key).update(secret).digest('base64url').slice(0, 22)}`;
}

/**
 * Reads the key, and writes one only when there is none yet: every start reads, so a start never
 * needs the write lock another process may be holding (a one-shot sync next to a daemon's pull).
 * Two first starts racing both insert-or-ignore, and both read back the one that won.
 */
/**
 * The App's fingerprint, loaded on first use and then kept: commands that only read (status,
 * events) never touch the key, so they also work on a database they may not write.
 */
export function lazyFingerprint(db: Db, configuredSecret: string | null): FingerprintSource {
  let loading: Promise<Fingerprint> | null = null;
  return () => {
    loading ??= loadFingerprint(db, configuredSecret);
    return loading;
  };
}

async function storedKey(db: Db): Promise<string> {
  const read = () => db.selectFrom('app_setting').select('value').where('name', '=', SETTING).executeTakeFirst();
  const existing = await read();
  if (existing) return existing.value;
  await db
    .insertInto('app_setting')
    .values({ name: SETTING, value: randomBytes(32).toString('base64url') })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return (await read())!.value;
}

/** What a known secret becomes in any text that leaves the process. */
export const REDACTED = '[redacted]';

/**
 * Shorter values are not credentials any upstream or mail server issues; cutting them out would
 * blank ordinary words of every message.
 */
const MIN_SECRET_LENGTH = 4;

/**
 * Every secret this process knows — configured credentials, and those learnt while running (the
 * 99digital access token, the numbers' apiKeys) — cut out of any text before it is stored (the
 * ledger's sync_run.error, the outbox's last_error), logged, printed or mailed. Upstreams echo
 * what they were sent (a Meta error quoting the token, a 401 body quoting the key), so no message
 * that may carry upstream or server text leaves without passing here. One instance per process
 * (built by openApp), shared by every user.
 */
export class SecretScrubber {
  /** The forms each secret can take in a message: as is, URL-encoded, JSON-escaped. Longest first. */
  private forms: string[] = [];
  private readonly known = new Set<string>();

  constructor(secrets: Iterable<string | null | undefined> = []) {
    this.add(...secrets);
  }

  /** Adds secrets learnt at run time; empty and too-short values are ignored. */
  add(...secrets: (string | null | undefined)[]): void {
    let added = false;
    for (const secret of secrets) {
      if (!secret || secret.length < MIN_SECRET_LENGTH || this.known.has(secret)) continue;
      this.known.add(secret);
      for (const form of new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])) this.forms.push(form);
      added = true;
    }
    // Longest first, so a secret that contains another is cut out whole.
    if (added) this.forms.sort((a, b) => b.length - a.length);
  }

  /** The text with every known secret replaced by REDACTED, and URLs stripped of queries and userinfo. */
  scrub(text: string): string {
    let result = stripUrlSecrets(text);
    for (const form of this.forms) {
      if (result.includes(form)) result = result.split(form).join(REDACTED);
    }
    return result;
  }

  /** `describeError`, scrubbed: the one way an error becomes text for the ledger, a log, a terminal or an email. */
  describe(error: unknown): string {
    return this.scrub(describeError(error));
  }
}

/** The credentials in the configuration: what every scrubber starts with. */
export function configuredSecrets(config: Config): string[] {
  return [
    config.meta?.accessToken,
    config.meta?.webhook?.appSecret,
    config.meta?.webhook?.verifyToken,
    config.dialog360?.webhookSecret,
    config.digital99?.webhook?.token,
    config.dialog360?.apiKey,
    config.digital99?.clientSecret,
    config.mail.smtp?.pass,
    config.fingerprintSecret,
    // A PostgreSQL DATABASE_URL's password: a server or driver message might echo it.
    passwordOf(config.databasePath),
    // Outgoing event delivery: the signing secrets (and their base64 part alone), the chat webhook URL.
    ...config.delivery.subscriptions.flatMap((subscription) => [subscription.secret, subscription.secret.slice('whsec_'.length)]),
    config.delivery.chatUrl,
  ].filter((secret): secret is string => typeof secret === 'string');
}
