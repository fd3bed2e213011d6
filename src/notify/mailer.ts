/**
 * Composition for commands and jobs: drain the outbox through the configured SMTP server, and what
 * runs after every sync (alerts, then a drain). Failures here are logged and reported, never thrown
 * into the sync that already finished.
 */
import type { Db } from '../../db/database.js';
import type { Clock } from '../clock.js';
import { type Config, SOURCE_NAMES } from '../config.js';
import type { Logger } from '../log.js';
import { SecretScrubber, configuredSecrets } from '../secrets.js';
import { type AlertDecision, evaluateAlerts } from './alerts.js';
import { type DrainResult, drainOutbox } from './outbox.js';
import { type MailTransport, smtpTransport } from './transport.js';

export interface NotifyDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly log: Logger;
  readonly config: Config;
  /** Overrides the transport built from SMTP_URL. */
  readonly transport?: MailTransport;
  /** The process's scrubber (App.scrubber); default: one knowing the configured credentials. */
  readonly scrubber?: SecretScrubber;
}

function scrubberOf(deps: NotifyDeps): SecretScrubber {
  return deps.scrubber ?? new SecretScrubber(configuredSecrets(deps.config));
}

/**
 * Sends what is due; null when SMTP_URL is not set. `ignoreBackoff`: every pending email now (the
 * operator's `digest --send`, `report --send`, `outbox --send`); the daemon keeps the backoff.
 */
export async function drainConfigured(deps: NotifyDeps, options: { readonly ignoreBackoff?: boolean } = {}): Promise<DrainResult | null> {
  const { mail, notify } = deps.config;
  if (!mail.smtp || !mail.from) return null;
  const transport = deps.transport ?? smtpTransport(mail.smtp);
  try {
    return await drainOutbox({
      db: deps.db,
      clock: deps.clock,
      log: deps.log,
      transport,
      from: mail.from,
      maxAttempts: notify.outboxMaxAttempts,
      retryBaseMs: notify.outboxRetryBaseMs,
      scrubber: scrubberOf(deps),
      ignoreBackoff: options.ignoreBackoff === true,
    });
  } finally {
    if (!deps.transport) transport.close();
  }
}

export interface AfterSyncResult {
  readonly alerts: readonly AlertDecision[];
  readonly drain: DrainResult | null;
  readonly error: string | null;
}

export async function notifyAfterSync(deps: NotifyDeps): Promise<AfterSyncResult> {
  try {
    const alerts = await evaluateAlerts(deps.db, deps.clock(), {
      afterFailures: deps.config.notify.alertAfterFailures,
      to: deps.config.mail.alertTo,
      sources: SOURCE_NAMES,
      scrubber: scrubberOf(deps),
    });
    for (const alert of alerts.filter((a) => a.queued)) deps.log.warn({ source: alert.source, mode: alert.mode, alert: alert.kind }, `alert queued: ${alert.email.subject}`);
    const drain = await drainConfigured(deps);
    return { alerts, drain, error: null };
  } catch (error) {
    const message = scrubberOf(deps).describe(error);
    deps.log.error({ err: { message } }, 'alerts or outbox failed');
    return { alerts: [], drain: null, error: message };
  }
}
