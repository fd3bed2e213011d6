/**
 * `onboarding list`: each onboarding followed from link to live number across the three
 * simulators over HTTP (99digital, Meta, 360dialog) on a real database, with an injected clock;
 * `--stuck` and the digest's stuck findings (listed once when they appear, once when they clear).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type App, openApp } from '../../src/app.js';
import { type Env, parseConfig } from '../../src/config.js';
import { Dialog360World } from '../../src/simulator/dialog360.js';
import { Digital99World } from '../../src/simulator/digital99.js';
import { MetaWorld } from '../../src/simulator/meta.js';
import { type RunningSimulator, startSimulator } from '../../src/simulator/server.js';
import { syncSources } from '../../src/sync/sync-sources.js';
import { cli } from '../helpers/cli.js';
import { manualClock } from '../helpers/clock.js';
import { silentLogger } from '../../src/log.js';
import { startSmtp } from '../helpers/smtp.js';
import { tempDbPath } from '../helpers/temp.js';

const DAY = 86_400_000;
const NUMBER = '972501112233';

const open: { app?: App; sim?: RunningSimulator }[] = [];
afterEach(async () => {
  for (const { app, sim } of open.splice(0)) {
    await app?.close();
    await sim?.close();
  }
});

async function fleet(extraEnv: Env = {}) {
  const clock = manualClock('2026-11-01T08:00:00.000Z');
  const digital99 = new Digital99World({ now: clock });
  const meta = new MetaWorld({ now: clock });
  const dialog360 = new Dialog360World({ now: clock });
  const sim = await startSimulator({ '/99digital/api': digital99.handler, '/meta': meta.handler, '/360dialog/api/v2': dialog360.handler });
  const env: Env = {
    DATABASE_URL: tempDbPath(),
    DIGITAL99_API_URL: sim.urlOf('/99digital/api'),
    DIGITAL99_CLIENT_ID: digital99.clientId,
    DIGITAL99_CLIENT_SECRET: digital99.clientSecret,
    META_GRAPH_URL: sim.urlOf('/meta'),
    META_ACCESS_TOKEN: meta.accessToken,
    META_BUSINESS_ID: meta.businessId,
    DIALOG360_API_URL: sim.urlOf('/360dialog/api/v2'),
    DIALOG360_API_KEY: dialog360.apiKey,
    DIALOG360_PARTNER_ID: dialog360.partnerId,
    HTTP_RETRIES: '0',
    HTTP_TIMEOUT_MS: '5000',
    ...extraEnv,
  };
  const app = await openApp(parseConfig(env), { clock, log: silentLogger });
  open.push({ app, sim });
  const sync = async () => {
    clock.advance(60_000);
    const results = await syncSources({ db: app.db, clock, log: silentLogger }, [...app.sources.values()], 'full');
    for (const result of results) expect(result.outcome).toBe('complete');
  };
  const run = (args: string[], more: Env = {}) => cli(args, { ...env, ...more }, { clock });
  return { clock, digital99, meta, dialog360, env, app, sync, run };
}

async function listJson(run: (args: string[]) => Promise<{ code: number; stdout: string }>, args: string[] = []) {
  const result = await run(['onboarding', 'list', '--json', ...args]);
  expect(result.code).toBe(0);
  return result.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('onboarding list: from link to live number, across the sources', () => {
  it('moves each onboarding through its stages with the time of each step, and flags the slow one', async () => {
    const f = await fleet();
    f.digital99.registerNumber(NUMBER);
    await f.sync(); // baseline of all three

    expect((await f.run(['onboarding', 'create', '--number', NUMBER, '--business-name', 'Acme Foods', '--display-name', 'Acme', '--by', 'dana'])).code).toBe(0);
    const slow = f.digital99.addOnboarding({ business_name: 'Slow Ltd', reference: 'crm-9' });
    await f.sync();
    let list = await listJson(f.run);
    expect(list.map((l) => [l.number, l.stage, l.created_by, l.age_days])).toEqual([
      [NUMBER, 'created', 'dana', 0],
      [slow.whatsapp, 'created', null, 0],
    ]);

    // Day 2: Acme finishes; 99digital lists its number.
    f.clock.advance(2 * DAY);
    f.digital99.finishOnboarding(f.digital99.onboardingOf(NUMBER)!.onboarding_link);
    await f.sync();
    // Day 3: the same digits on Meta (written its way), then a 360dialog channel.
    f.clock.advance(DAY);
    const waba = f.meta.shareWaba();
    f.meta.addPhoneNumber(waba.id, { display_phone_number: '+972 50-111-2233' });
    await f.sync();
    expect((await listJson(f.run))[0]!.stage).toBe('on Meta');
    f.clock.advance(DAY);
    f.dialog360.addChannel({ setup_info: { phone_number: NUMBER, phone_name: 'Acme' } });
    await f.sync();

    list = await listJson(f.run);
    const acme = list[0]!;
    expect(acme.stage).toBe('on 360dialog');
    expect(acme.age_days).toBe(4);
    const steps = acme.steps as { name: string; at: string; reached: boolean }[];
    expect(steps.map((s) => s.name)).toEqual(['created', 'finished', '99digital number', 'on Meta', 'on 360dialog']);
    expect(steps.map((s) => s.at.slice(0, 10))).toEqual(['2026-11-01', '2026-11-03', '2026-11-03', '2026-11-04', '2026-11-05']);
    expect(list[1]).toMatchObject({ stage: 'created', stuck: null });

    const table = await f.run(['onboarding', 'list']);
    expect(table.stdout).toMatch(/972501112233\s+Acme Foods\s+on 360dialog\s+4 d\s+created 11-01, finished 11-03 \(\+2 d\), 99digital number 11-03 \(\+0 d\), on Meta 11-04 \(\+1 d\), on 360dialog 11-05 \(\+1 d\)\s+dana/);

    // Day 8: the slow one is past ONBOARDING_STUCK_DAYS (7).
    f.clock.advance(4 * DAY);
    const stuck = await listJson(f.run, ['--stuck']);
    expect(stuck.map((l) => [l.number, l.stuck])).toEqual([[slow.whatsapp, 'unfinished']]);
    expect(stuck[0]!.stuck_detail).toBe(`not finished 8 days after it was created (2026-11-01); link to resend: ${slow.onboarding_link}`);
    // A longer setting: not stuck yet.
    expect(await listJson((args) => f.run(args, { ONBOARDING_STUCK_DAYS: '10' }), ['--stuck'])).toEqual([]);
  });

  it('does not use a disabled source: without 360dialog the last step is Meta', async () => {
    const f = await fleet();
    f.digital99.registerNumber(NUMBER);
    await f.sync();
    f.digital99.finishOnboarding(f.digital99.addOnboarding({ whatsapp: NUMBER }).onboarding_link);
    f.dialog360.addChannel({ setup_info: { phone_number: NUMBER, phone_name: 'Acme' } });
    await f.sync();
    const withoutDialog = { DIALOG360_API_KEY: '', DIALOG360_PARTNER_ID: '' };
    const list = await listJson((args) => f.run(args, withoutDialog));
    expect((list[0]!.steps as { name: string }[]).map((s) => s.name)).toEqual(['created', 'finished', '99digital number', 'on Meta']);
    expect(list[0]!.stage).toBe('99digital number');
  });

  it('flags a finished onboarding whose number 99digital does not list after the grace period', async () => {
    const f = await fleet({ RECONCILE_GRACE_HOURS: '24' });
    await f.sync();
    const item = f.digital99.finishOnboarding(f.digital99.addOnboarding({ business_name: 'No Number Ltd' }).onboarding_link, { addNumber: false });
    await f.sync();
    expect(await listJson(f.run, ['--stuck'])).toEqual([]);
    f.clock.advance(DAY + 3_600_000);
    const stuck = await listJson(f.run, ['--stuck']);
    expect(stuck.map((l) => [l.number, l.stage, l.stuck])).toEqual([[item.whatsapp, 'finished', 'no_number']]);
  });
});

describe('stuck onboardings in the digest', () => {
  it('are listed once when they become stuck, with the link to resend, and once when they clear', async () => {
    const smtp = await startSmtp();
    const f = await fleet({ ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com', ONBOARDING_STUCK_DAYS: '3' });
    await f.sync();
    const digest = async () => {
      const run = await f.run(['digest', '--send']);
      expect(run.code).toBe(0);
      return run;
    };
    const slow = f.digital99.addOnboarding({ business_name: 'Slow Ltd', reference: 'crm-9' });
    await f.sync();
    await digest();
    const title = '99digital: onboarding link not finished in time (resend the link)';
    expect(smtp.mails.at(-1)!.parsed.text).not.toContain(title);

    f.clock.advance(3 * DAY + 3_600_000);
    await f.sync();
    expect((await digest()).stdout).toContain('1 new findings');
    const text = smtp.mails.at(-1)!.parsed.text!;
    expect(text).toContain(`NEW ${title}: ${slow.whatsapp} (Slow Ltd, reference crm-9) not finished 3 days after it was created (2026-11-01); link to resend: ${slow.onboarding_link}`);

    // Still stuck a day later: not listed again.
    f.clock.advance(DAY);
    await f.sync();
    expect((await digest()).stdout).toContain('Nothing new');

    f.digital99.finishOnboarding(slow.onboarding_link);
    await f.sync();
    await digest();
    expect(smtp.mails.at(-1)!.parsed.text).toContain(`CLEARED ${title}`);
    f.digital99.addOnboarding();
    await f.sync();
    await digest();
    expect(smtp.mails.at(-1)!.parsed.text).not.toContain(title);
  });
});
