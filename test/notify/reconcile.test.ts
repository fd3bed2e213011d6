import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { type DigestSettings, queueDigest } from '../../src/notify/digest/digest.js';
import { cli } from '../helpers/cli.js';
import { digital99Harness } from '../helpers/digital99.js';
import { insertRun, removeEntity, setEntity } from '../helpers/fleet-rows.js';
import { startSmtp } from '../helpers/smtp.js';
import { tempDbPath } from '../helpers/temp.js';

const HOUR = 3_600_000;

async function setup() {
  const h = await digital99Harness();
  const smtp = await startSmtp();
  const env = { ...h.env, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com', RECONCILE_GRACE_HOURS: '24' };
  const digest = async () => {
    const run = await cli(['digest', '--send'], env, { clock: h.clock, log: h.logs.log });
    expect(run.code).toBe(0);
    return run;
  };
  const lastText = () => smtp.mails.at(-1)!.parsed.text!;
  return { h, smtp, digest, lastText };
}

describe('reconciliation checks in the digest, listed once when they appear and once when they clear', () => {
  it('a finished 99digital onboarding whose number is missing after the grace period', async () => {
    const { h, smtp, digest, lastText } = await setup();
    const link = h.world.addOnboarding({ business_name: 'Slow Numbers Ltd', reference: 'crm-7' }).onboarding_link;
    await h.sync();
    await digest();
    const onboarding = h.world.finishOnboarding(link, { addNumber: false });
    await h.sync();
    await digest();
    expect(lastText()).toContain('onboarding.completed');
    expect(lastText()).not.toContain('Reconciliation checks (');

    // Still missing a day later: listed once.
    h.clock.advance(25 * HOUR);
    await h.sync();
    const run = await digest();
    expect(run.stdout).toContain('0 events');
    expect(run.stdout).toContain('1 new findings');
    expect(lastText()).toContain('Reconciliation checks (1 new, 0 cleared)');
    expect(lastText()).toContain(`NEW 99digital: finished onboarding whose number is not in the numbers list: ${onboarding.whatsapp} (Slow Numbers Ltd, reference crm-7)`);
    const mails = smtp.mails.length;

    // Not again while it stays (and no digest at all when nothing else happened).
    h.clock.advance(HOUR);
    await h.sync();
    expect((await digest()).stdout).toContain('Nothing new');
    h.world.addOnboarding();
    await h.sync();
    await digest();
    expect(smtp.mails).toHaveLength(mails + 1);
    expect(lastText()).not.toContain('Slow Numbers');

    // The number appears: listed once as cleared, then never again.
    h.world.addNumber({ whatsapp: onboarding.whatsapp, business_name: 'Slow Numbers Ltd' });
    await h.sync();
    await digest();
    expect(lastText()).toContain('Reconciliation checks (0 new, 1 cleared)');
    expect(lastText()).toContain(`CLEARED 99digital: finished onboarding whose number is not in the numbers list: ${onboarding.whatsapp}`);
    h.world.addOnboarding();
    await h.sync();
    await digest();
    expect(lastText()).not.toContain('Slow Numbers');
  });

  it("numbers whose counters don't add up, from the latest complete pull's data checks", async () => {
    const { h, digest, lastText } = await setup();
    const number = h.world.finishOnboarding(h.world.addOnboarding().onboarding_link);
    h.world.addTraffic(number.whatsapp, { marketing: 2, service: 3 });
    await h.sync();
    await digest();
    expect(lastText()).not.toContain('Reconciliation checks (');

    h.world.updateNumber(number.whatsapp, { conversationsThisMonth: 9 });
    await h.sync();
    const run = await digest();
    expect(run.stdout).toContain('1 new findings');
    expect(lastText()).toContain(`NEW 99digital: a number's counters don't add up: ${number.whatsapp}: conversations 9 ≠ marketing 2 + service 3 + incoming 0 (= 5)`);

    // Still wrong (with other figures) at the next digest: not listed again.
    h.world.addTraffic(number.whatsapp, { incoming: 1 });
    h.world.addOnboarding();
    await h.sync();
    await digest();
    expect(lastText()).not.toContain("counters don't add up");

    h.world.updateNumber(number.whatsapp, { conversationsThisMonth: 6 });
    await h.sync();
    expect((await digest()).stdout).toContain('1 cleared');
    expect(lastText()).toContain(`CLEARED 99digital: a number's counters don't add up: ${number.whatsapp}`);
  });

  it('360dialog channels in ready/running whose WABA is not among the Meta client WABAs, only with both sources enabled', async () => {
    const db = await openDatabase(tempDbPath());
    const at = '2026-11-05T06:00:00.000Z';
    const metaRun = await insertRun(db, 'meta', at);
    const dialogRun = await insertRun(db, 'dialog360', at);
    await setEntity(db, 'meta', 'waba', '111', { id: '111', name: 'Known' }, at, metaRun);
    await setEntity(db, 'meta', 'owned_waba', '333', { id: '333', name: 'Ours, not a client' }, at, metaRun);
    const channel = (id: string, status: string, external: string | null) => ({
      id,
      status,
      setup_info: { phone_number: `+49 ${id}`, phone_name: `Desk ${id}` },
      waba_account: { id: `wa-${id}`, external_id: external },
    });
    await setEntity(db, 'dialog360', 'channel', 'c-known', channel('c-known', 'running', '111'), at, dialogRun);
    await setEntity(db, 'dialog360', 'channel', 'c-stray', channel('c-stray', 'ready', '222'), at, dialogRun);
    await setEntity(db, 'dialog360', 'channel', 'c-owned', channel('c-owned', 'running', '333'), at, dialogRun);
    await setEntity(db, 'dialog360', 'channel', 'c-setup', channel('c-setup', 'created', '999'), at, dialogRun);
    const settings: DigestSettings = {
      to: ['ops@example.com'],
      timezone: 'UTC',
      sectionLimit: 25,
      graceHours: 24,
      enabledSources: ['meta', 'dialog360'],
      disabledReasons: {},
    };
    const digestAt = async (iso: string, enabled = settings.enabledSources) => queueDigest(db, new Date(iso), { ...settings, enabledSources: enabled }, { commit: true });

    // Only one of the two sources enabled: the check does not run.
    expect((await digestAt('2026-11-05T07:00:00.000Z', ['dialog360'])).kind).toBe('nothing');

    const first = await digestAt('2026-11-05T07:00:00.000Z');
    if (first.kind !== 'digest') throw new Error('expected a digest');
    expect(first.plan.opened.map((f) => `${f.check} ${f.key}`).sort()).toEqual(['channel_waba_unknown c-owned', 'channel_waba_unknown c-stray']);
    expect(first.plan.email.text).toContain('NEW 360dialog: live channel whose WABA is not among the Meta client WABAs: channel c-stray (+49 c-stray Desk c-stray), status ready: WABA 222 is not among the Meta client WABAs');
    expect((await digestAt('2026-11-05T08:00:00.000Z')).kind).toBe('nothing');

    // Meta disabled later: its findings are neither re-listed nor cleared.
    expect((await digestAt('2026-11-05T08:30:00.000Z', ['dialog360'])).kind).toBe('nothing');

    // The WABA is shared with us after all, and the other channel leaves: both clear, once.
    const later = '2026-11-05T09:00:00.000Z';
    await setEntity(db, 'meta', 'waba', '222', { id: '222', name: 'Found' }, later, await insertRun(db, 'meta', later));
    const run = await insertRun(db, 'dialog360', later);
    await removeEntity(db, 'dialog360', 'channel', 'c-owned', later, run);
    const cleared = await digestAt('2026-11-05T10:00:00.000Z');
    if (cleared.kind !== 'digest') throw new Error('expected a digest');
    expect(cleared.plan.cleared.map((f) => f.key).sort()).toEqual(['c-owned', 'c-stray']);
    expect(cleared.plan.opened).toEqual([]);
    expect((await digestAt('2026-11-05T11:00:00.000Z')).kind).toBe('nothing');
    await db.destroy();
  });
});
