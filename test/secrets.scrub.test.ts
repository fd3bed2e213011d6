/**
 * Upstream error text that echoes a credential (Meta quoting the token, 360dialog quoting the key)
 * never reaches the ledger, the terminal or the logs: one scrubber cuts every known secret out.
 */
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import type { Env } from '../src/config.js';
import { REDACTED, SecretScrubber } from '../src/secrets.js';
import { Dialog360World } from '../src/simulator/dialog360.js';
import { MetaWorld } from '../src/simulator/meta.js';
import { startSimulator } from '../src/simulator/server.js';
import { type CliRun, cli } from './helpers/cli.js';
import { captureLog } from './helpers/log.js';
import { tempDbPath } from './helpers/temp.js';
import { afterEach } from 'vitest';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** `sync` then `status`, with the logs captured; what an operator (and the ledger) could see. */
async function syncAndStatus(env: Env) {
  const logs = captureLog();
  const sync = await cli(['sync'], env, { log: logs.log });
  const status = await cli(['status'], env, { log: logs.log });
  const db = await openDatabase(env.DATABASE_URL!);
  const runs = await db.selectFrom('sync_run').select(['outcome', 'error']).orderBy('id').execute();
  await db.destroy();
  return { sync, status, logs: logs.text(), ledger: runs.map((run) => run.error ?? '').join('\n'), runs };
}

function everything(seen: { sync: CliRun; status: CliRun; logs: string; ledger: string }): string {
  return [seen.sync.stdout, seen.sync.stderr, seen.status.stdout, seen.status.stderr, seen.logs, seen.ledger].join('\n');
}

describe('secrets echoed by an upstream are scrubbed everywhere', () => {
  it('a Meta error message quoting the token (also where Meta\'s message is shortened)', async () => {
    const world = new MetaWorld();
    world.shareWaba();
    const sim = await startSimulator({ '/meta': world.handler });
    closers.push(() => sim.close());
    const token = world.accessToken;
    // The token straddles the 300 characters the error keeps of Meta's message.
    world.inject({ call: 'client_whatsapp_business_accounts', kind: 'graph_error', code: 190, status: 400, message: `${'x'.repeat(280)} token ${token} is invalid` });
    const seen = await syncAndStatus({ DATABASE_URL: tempDbPath(), META_GRAPH_URL: sim.urlOf('/meta'), META_ACCESS_TOKEN: token, META_BUSINESS_ID: world.businessId });

    expect(seen.sync.code).toBe(1);
    expect(seen.runs.map((run) => run.outcome)).toEqual(['failed']);
    expect(seen.ledger).toContain('Graph error 190');
    expect(seen.sync.stdout).toContain('meta failed: ');
    expect(seen.status.stdout).toContain('meta: last error: ');
    expect(everything(seen)).not.toContain(token.slice(0, 10));
  });

  it('a Meta error message quoting the token in full is shown with the token redacted', async () => {
    const world = new MetaWorld();
    const sim = await startSimulator({ '/meta': world.handler });
    closers.push(() => sim.close());
    world.inject({ call: 'client_whatsapp_business_accounts', kind: 'graph_error', code: 100, status: 400, message: `Invalid parameter: access_token ${world.accessToken}` });
    const seen = await syncAndStatus({ DATABASE_URL: tempDbPath(), META_GRAPH_URL: sim.urlOf('/meta'), META_ACCESS_TOKEN: world.accessToken, META_BUSINESS_ID: world.businessId });
    expect(seen.ledger).toContain(`Invalid parameter: access_token ${REDACTED}`);
    expect(everything(seen)).not.toContain(world.accessToken);
  });

  it.each([401, 400])('a 360dialog HTTP %i body quoting the partner key', async (status) => {
    const world = new Dialog360World({ apiKey: 'sim-360-partner-key-3f9a1c' });
    world.addClient();
    const sim = await startSimulator({
      '/360dialog/api/v2': (request) =>
        request.path.endsWith('/clients') ? { status, body: { detail: `API key ${request.headers['x-api-key']} is not valid for this partner` } } : world.handler(request),
    });
    closers.push(() => sim.close());
    const seen = await syncAndStatus({
      DATABASE_URL: tempDbPath(),
      DIALOG360_API_URL: sim.urlOf('/360dialog/api/v2'),
      DIALOG360_API_KEY: world.apiKey,
      DIALOG360_PARTNER_ID: world.partnerId,
      HTTP_RETRIES: '0',
    });
    expect(seen.sync.code).toBe(1);
    expect(seen.ledger).toContain(`HTTP ${status}`);
    expect(everything(seen)).not.toContain(world.apiKey);
  });
});

describe('SecretScrubber', () => {
  it('cuts out each known secret, also URL-encoded and JSON-escaped, longest first; ignores empty and too-short values', () => {
    const scrubber = new SecretScrubber(['p@ss/word"1', null, '', 'abc']);
    scrubber.add('p@ss/word"1-longer');
    expect(scrubber.scrub('a p@ss/word"1-longer b p%40ss%2Fword%221 c "p@ss/word\\"1" abc')).toBe(
      `a ${REDACTED} b ${REDACTED} c "${REDACTED}" abc`,
    );
  });

  it('describes an error with URL queries stripped and known secrets cut out', () => {
    const scrubber = new SecretScrubber(['s3cret-key']);
    expect(scrubber.describe(new Error('GET https://x.example/a?token=abc failed with s3cret-key'))).toBe(`Error: GET https://x.example/a failed with ${REDACTED}`);
  });
});
