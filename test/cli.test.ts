import { describe, expect, it } from 'vitest';
import { cli, npmRun } from './helpers/cli.js';
import { digital99Harness } from './helpers/digital99.js';
import { tempDir } from './helpers/temp.js';

const EVENT_KEYS = ['id', 'type', 'source', 'key', 'at', 'run_id', 'before', 'after', 'changes'];

describe('command line', () => {
  it('sync → summary and exit 0; events --json gives the nine keys, oldest first; status shows the source', async () => {
    const h = await digital99Harness();
    const item = h.world.addOnboarding({ business_name: 'Acme inc' });
    const first = await cli(['sync'], h.env, { clock: h.clock });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/digital99\s+full\s+complete \(baseline\)\s+1\s+1\s+3/);

    h.world.finishOnboarding(item.onboarding_link);
    h.clock.advance(60_000);
    expect((await cli(['sync', '--source', 'digital99'], h.env, { clock: h.clock })).code).toBe(0);

    const json = await cli(['events', '--json'], h.env);
    expect(json.code).toBe(0);
    const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => e.type)).toEqual(['sync.baseline', 'onboarding.completed', 'number.added']);
    for (const line of lines) expect(Object.keys(line)).toEqual(EVENT_KEYS);
    expect(lines[1]).toMatchObject({ source: 'digital99', key: item.onboarding_link, changes: { status: { from: 0, to: 1 } } });
    expect(lines[0]).toMatchObject({ before: null, changes: null });

    const filtered = await cli(['events', '--type', 'number.*', '--json'], h.env);
    expect(filtered.stdout.trim().split('\n').map((line) => JSON.parse(line).type)).toEqual(['number.added']);
    const family = await cli(['events', '--type', 'onboarding.', '--json'], h.env);
    expect(family.stdout.trim().split('\n').map((line) => JSON.parse(line).type)).toEqual(['onboarding.completed']);
    const exact = await cli(['events', '--type', 'onboarding', '--json'], h.env);
    expect(exact.stdout.trim()).toBe('');
    const since = await cli(['events', '--since', '2099-01-01'], h.env);
    expect(since.stdout.trim()).toBe('No events.');
    const table = await cli(['events'], h.env);
    expect(table.stdout).toMatch(/onboarding\.completed .* Brand \d+ — status: 0 → 1/);

    const status = await cli(['status'], h.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/digital99\s+enabled\s+full complete/);
    expect(status.stdout).toMatch(/number 1, number_counters 1, onboarding 1/);
    expect(status.stdout).toMatch(/meta\s+disabled/);
    expect(status.stdout).toContain('Outbox: 0 pending, 0 failed');
    expect(status.stdout).toMatch(/sync-incremental\s+\*\/15 \* \* \* \*\s+SYNC_CRON\s+\d{4}-\d\d-\d\dT/);
    expect(status.stdout).toMatch(/sync-full\s+0 \*\/6 \* \* \*\s+FULL_SYNC_CRON/);
  });


  it('events --json keeps an upstream name exactly, bidi marks and C1 controls included, as valid JSON safe to print', async () => {
    const h = await digital99Harness();
    expect((await cli(['sync'], h.env, { clock: h.clock })).code).toBe(0);
    const name = '\u202bמאפיית לוי\u202c Café\u009b"x\u2028';
    h.world.addOnboarding({ business_name: name });
    h.clock.advance(60_000);
    expect((await cli(['sync'], h.env, { clock: h.clock })).code).toBe(0);
    const json = await cli(['events', '--type', 'onboarding.created', '--json'], h.env);
    const lines = json.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!).after.business_name).toBe(name);
    expect([...lines[0]!].filter((c) => c < ' ' || (c >= '\u007f' && c <= '\u009f') || '\u2028\u202b\u202c'.includes(c))).toEqual([]);
  });
  it('exit 1 when a source fails, with the reason; the failure shows in status', async () => {
    // Not a word that messages use: every configured secret is cut out of what is printed.
    const h = await digital99Harness({ env: { DIGITAL99_CLIENT_SECRET: 'wrong-secret-7c1' } });
    const run = await cli(['sync'], h.env, { clock: h.clock });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('digital99 failed: digital99 accessToken: wrong client id or client secret (reason 2)');
    expect(run.stdout).not.toContain('wrong-secret-7c1');
    const status = await cli(['status'], h.env);
    expect(status.stdout).toMatch(/digital99: last error: digital99 accessToken: wrong client id/);
  });

  it('exit 2 for configuration and usage errors, naming what to fix', async () => {
    const db = { DATABASE_URL: `${tempDir()}/x.sqlite` };
    const none = await cli(['sync'], db);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('No source is enabled');
    expect(none.stderr).toContain('DIGITAL99_CLIENT_ID and DIGITAL99_CLIENT_SECRET');

    const enabled = { ...db, DIGITAL99_CLIENT_ID: 'a', DIGITAL99_CLIENT_SECRET: 'b' };
    const disabled = await cli(['sync', '--source', 'meta'], enabled);
    expect(disabled.code).toBe(2);
    expect(disabled.stderr).toContain('--source meta: this source is not enabled');

    expect((await cli(['sync', '--source', 'nope'], enabled)).code).toBe(2);
    expect((await cli(['sync', '--bogus'], enabled)).code).toBe(2);
    expect((await cli(['events', '--since', 'yesterday'], enabled)).code).toBe(2);
    // A day that does not exist is refused, not rolled over into March; a time without an offset is UTC.
    const impossible = await cli(['events', '--since', '2026-02-30'], enabled);
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toContain('--since: expected an ISO 8601 date or time (UTC unless it names an offset), got "2026-02-30"');
    expect((await cli(['events', '--since', '2026-12-01T07:19:00'], enabled)).code).toBe(0);
    expect((await cli(['events', '--since', '2026-12-01T09:19:00+0200'], enabled)).code).toBe(0);

    const bad = await cli(['sync'], { ...enabled, TIMEZONE: 'Nowhere/City', HTTP_RETRIES: '-1' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('TIMEZONE');
    expect(bad.stderr).toContain('HTTP_RETRIES');
  });

  it('reads a .env file in the working directory; the environment wins', async () => {
    const h = await digital99Harness();
    const dir = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir}/.env`, `DIGITAL99_CLIENT_ID=${h.world.clientId}\nDIGITAL99_CLIENT_SECRET=wrong\nDIGITAL99_API_URL=${h.env.DIGITAL99_API_URL}\n`);
    const env = { DATABASE_URL: h.dbPath, DIGITAL99_CLIENT_SECRET: h.world.clientSecret, HTTP_RETRY_BASE_MS: '5' };
    const run = await cli(['sync'], env, { cwd: dir, clock: h.clock });
    expect(run.code).toBe(0);
  });

  it('the npm scripts: --help lists every command and option; sync with nothing configured exits 2', () => {
    const help = npmRun('cli', ['--help'], {});
    expect(help.code).toBe(0);
    for (const text of ['sync', '--source <name>', '--incremental', 'events', '--since <iso>', '--type <type>', '--json', 'status']) {
      expect(help.stdout).toContain(text);
    }
    const sync = npmRun('sync', [], { DATABASE_URL: `${tempDir()}/x.sqlite` });
    expect(sync.code).toBe(2);
    expect(sync.stderr).toContain('No source is enabled');
  });
});
