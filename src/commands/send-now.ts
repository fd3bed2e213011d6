/**
 * What `digest --send`, `report --send` and `outbox --send` share: send every pending email now —
 * an operator typed the command, so a backoff left over from an outage does not hold the mail back
 * (the daemon's drains keep it) — and say in one line what happened.
 */
import type { DrainResult } from '../notify/outbox.js';
import { type NotifyDeps, drainConfigured } from '../notify/mailer.js';
import { type CliIo, writeLine } from './io.js';

/** `what`: how the line names the mail the command is about ("the digest", "the report", …). */
export async function sendPendingNow(io: CliIo, deps: NotifyDeps, what: string): Promise<DrainResult | null> {
  const drain = await drainConfigured(deps, { ignoreBackoff: true });
  if (drain?.busy) writeLine(io.stdout, `Another process is sending the outbox; ${what} goes out with it.`);
  else if (drain?.lastError) writeLine(io.stdout, `Sent ${drain.sent}; not sent yet: ${drain.pending} (${drain.lastError}). It stays queued and is retried: see \`outbox\`.`);
  else if (drain) writeLine(io.stdout, `Sent ${drain.sent} email${drain.sent === 1 ? '' : 's'} from the outbox; ${drain.pending} pending.`);
  return drain;
}
