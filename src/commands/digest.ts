/**
 * `digest [--send] [--preview DIR]`: one email covering every event not yet in a digest, plus
 * reconciliation findings that appeared or cleared. `--send` queues it (marking its events covered
 * in the same transaction) and sends every pending email now (a backoff from an outage included); `--preview DIR` writes it (.eml, .html, .txt and
 * the CSV when there is one) and changes nothing; neither prints what a digest would hold. Exit 0,
 * also when there is nothing new.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { UsageError } from '../errors.js';
import { type DigestOutcome, digestSettings, queueDigest } from '../notify/digest/digest.js';
import { previewMessage } from '../notify/outbox.js';
import { renderRawMessage } from '../notify/transport.js';
import { commandConfig, withApp } from './context.js';
import { type CliIo, outputFolder, writeLine } from './io.js';
import { sendPendingNow } from './send-now.js';

export interface DigestOptions {
  send?: boolean;
  preview?: string;
}

export async function digestCommand(io: CliIo, options: DigestOptions): Promise<number> {
  const config = commandConfig(io);
  if (options.send && options.preview !== undefined) throw new UsageError('digest: use either --send or --preview DIR, not both');
  if (options.preview !== undefined) outputFolder('--preview', resolve(io.cwd, options.preview));
  if (options.send && (!config.mail.smtp || config.mail.digestTo.length === 0)) {
    throw new UsageError('digest --send: set SMTP_URL, MAIL_FROM and DIGEST_TO (see .env.example)');
  }
  return withApp(io, config, async (app) => {
    const { db, clock } = app;
    const outcome = await queueDigest(db, clock(), digestSettings(config), { commit: options.send === true });
    if (outcome.kind === 'nothing') {
      writeLine(io.stdout, `Nothing new since ${outcome.since ? `the last digest (${outcome.since})` : 'the start'}: no digest ${options.send ? 'queued' : 'to write'}.`);
    } else {
      describe(io, outcome, options);
    }
    if (options.preview !== undefined && outcome.kind === 'digest') {
      const files = await writePreview(resolve(io.cwd, options.preview), outcome, config, clock());
      writeLine(io.stdout, `Preview written (nothing sent or marked): ${files.join(', ')}`);
    }
    if (options.send) {
      await sendPendingNow(io, app, 'the digest');
    } else if (options.preview === undefined && outcome.kind === 'digest') {
      writeLine(io.stdout, 'Not sent: run with --send to send it, or --preview DIR to write it to files.');
    }
    return 0;
  });
}

function describe(io: CliIo, outcome: Extract<DigestOutcome, { kind: 'digest' }>, options: DigestOptions): void {
  const { plan } = outcome;
  const verb = outcome.queued ? `Queued digest #${plan.digestId}` : 'Digest due';
  writeLine(io.stdout, `${verb}: ${plan.eventIds.length} events (${plan.period.from} → ${plan.period.to}), ${plan.opened.length} new findings, ${plan.cleared.length} cleared.`);
  if (outcome.queued || options.preview === undefined) writeLine(io.stdout, `  To: ${plan.email.to.join(', ') || '(DIGEST_TO not set)'}`);
  writeLine(io.stdout, `  Subject: ${plan.email.subject}`);
  for (const { title, count } of plan.rendered.counts) writeLine(io.stdout, `  ${title}: ${count}`);
  if (plan.rendered.csv) writeLine(io.stdout, `  Full list attached as ${plan.rendered.csv.filename} (sections capped at the first rows).`);
}

async function writePreview(dir: string, outcome: Extract<DigestOutcome, { kind: 'digest' }>, config: Config, now: Date): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const { email, digestId } = outcome.plan;
  const raw = await renderRawMessage(previewMessage(email, config.mail.from ?? 'waba-sync <waba-sync@localhost>', now));
  const base = join(dir, `digest-${digestId}`);
  const files: [string, string | Buffer][] = [
    [`${base}.eml`, raw],
    [`${base}.html`, email.html],
    [`${base}.txt`, email.text],
  ];
  for (const attachment of email.attachments ?? []) files.push([join(dir, attachment.filename), attachment.content]);
  for (const [path, content] of files) writeFileSync(path, content);
  return files.map(([path]) => path);
}
