/**
 * Upstream text with escape sequences (a Graph error message, a WABA name) reaches the terminal,
 * the ledger and alert emails without the ESC byte or any other control character.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { evaluateAlerts } from '../../src/notify/alerts.js';
import { SecretScrubber } from '../../src/secrets.js';
import { MetaWorld } from '../../src/simulator/meta.js';
import { startSimulator } from '../../src/simulator/server.js';
import { stripControlChars } from '../../src/render/plain-text.js';
import { cli } from '../helpers/cli.js';
import { captureLog } from '../helpers/log.js';
import { tempDbPath } from '../helpers/temp.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const ESC = '\u001b';
const HOSTILE = `${ESC}[31mred${ESC}[0m ${ESC}]0;pwned${ESC}\\title\r\u202eevil`;

async function metaSetUp() {
  const world = new MetaWorld();
  const sim = await startSimulator({ '/meta': world.handler });
  closers.push(() => sim.close());
  const env = { DATABASE_URL: tempDbPath(), META_GRAPH_URL: sim.urlOf('/meta'), META_ACCESS_TOKEN: world.accessToken, META_BUSINESS_ID: world.businessId };
  return { world, env };
}

describe('control characters from upstream text never reach the terminal', () => {
  it('a Graph error message with ESC[31m: sync, status, the ledger and the logs show its words without the escapes', async () => {
    const { world, env } = await metaSetUp();
    world.inject({ call: 'client_whatsapp_business_accounts', kind: 'graph_error', code: 100, status: 400, message: `bad ${HOSTILE}` });
    const logs = captureLog();
    const sync = await cli(['sync'], env, { log: logs.log });
    const status = await cli(['status'], env);
    const db = await openDatabase(env.DATABASE_URL);
    const run = await db.selectFrom('sync_run').select('error').executeTakeFirstOrThrow();
    await db.destroy();

    expect(sync.code).toBe(1);
    expect(sync.stdout).toMatch(/meta failed: .*bad red title evil/);
    expect(status.stdout).toMatch(/meta: last error: .*bad red title evil/);
    for (const text of [sync.stdout, sync.stderr, status.stdout, status.stderr, run.error!, logs.text()]) {
      expect(text).not.toContain(ESC);
      expect(text).not.toContain('\r');
      expect(text).not.toContain('\u202e');
    }
  });

  it('a WABA name with escapes: the events table shows it plain', async () => {
    const { world, env } = await metaSetUp();
    expect((await cli(['sync'], env)).code).toBe(0);
    world.shareWaba({ name: `Shop ${HOSTILE}` });
    expect((await cli(['sync'], env)).code).toBe(0);
    const events = await cli(['events'], env);
    expect(events.stdout).toContain('Shop red title evil');
    expect(events.stdout).not.toContain(ESC);
  });

  it('a stored error with escapes (written before this fix) reaches an alert email without them', async () => {
    const db = await openDatabase(tempDbPath());
    try {
      const at = '2026-01-01T00:00:00.000Z';
      await db
        .insertInto('sync_run')
        .values({ source: 'meta', mode: 'full', started_at: at, finished_at: at, outcome: 'failed', entities: 0, events: 0, api_calls: 1, error: `meta x: ${HOSTILE} EAAsecret-token`, error_code: 'AUTH' })
        .execute();
      const [alert] = await evaluateAlerts(db, new Date(at), { afterFailures: 3, to: ['ops@example.com'], sources: ['meta'], scrubber: new SecretScrubber(['EAAsecret-token']) });
      expect(alert?.queued).toBe(true);
      const mail = await db.selectFrom('outbox').select(['text_body', 'html_body']).executeTakeFirstOrThrow();
      expect(mail.text_body).toContain('red title evil');
      for (const body of [mail.text_body, mail.html_body]) {
        expect(body).not.toContain(ESC);
        expect(body).not.toContain('EAAsecret-token');
      }
    } finally {
      await db.destroy();
    }
  });
});

describe('stripControlChars', () => {
  it('removes CSI and OSC sequences whole, bidi controls, and turns other controls into spaces', () => {
    expect(stripControlChars(`a${ESC}[1;31mb${ESC}[0m\tc\u0007d\u009b2Je${ESC}]8;;http://x${ESC}\\f\u2066g`)).toBe('ab c defg');
  });

  it('keeps newlines only when asked', () => {
    expect(stripControlChars('one\ntwo\r\nthree')).toBe('one two  three');
    expect(stripControlChars('one\ntwo\r\nthree', { keepNewlines: true })).toBe('one\ntwo \nthree');
  });
});
