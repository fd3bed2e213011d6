/**
 * Which pull a month's figures come from, driven through the 99digital simulator over HTTP with
 * the harness clock: pulls at chosen instants around month ends in Asia/Jerusalem (DST ends on
 * 25 October 2026), counters reset by the provider at the start of each month.
 */
import { describe, expect, it } from 'vitest';
import { cli, pullAt, reportHarness } from '../helpers/report.js';

/** The "TOTAL" table line for one counter: [this month, previous month, change]. */
function totalLine(text: string, name: string): string[] {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? line.trim().split(/\s{2,}/).slice(1) : [];
}

async function twoMonths() {
  const h = await reportHarness();
  const acme = h.world.addNumber({ display_name: 'Acme', business_name: 'Acme inc' });
  const bakery = h.world.addNumber({ display_name: 'Bakery', business_name: 'Bakery Levi', coexistence: 1 });
  h.world.addTraffic(acme.whatsapp, { marketing: 10, service: 5, incoming: 2 });
  h.world.addTraffic(bakery.whatsapp, { marketing: 1 });
  await pullAt(h, '2026-09-15T09:00:00Z');
  expect((await pullAt(h, '2026-09-30T20:50:00Z')).outcome).toBe('complete'); // 23:50 on 30 Sep, local
  h.world.resetCounters({ closeMonth: '092026' });
  expect((await pullAt(h, '2026-09-30T21:05:00Z')).outcome).toBe('complete'); // 00:05 on 1 Oct, local
  h.world.addTraffic(acme.whatsapp, { marketing: 4, service: 2 });
  h.world.addTraffic(bakery.whatsapp, { incoming: 3 });
  await pullAt(h, '2026-10-15T09:00:00Z');
  h.world.addTraffic(acme.whatsapp, { marketing: 1 });
  await pullAt(h, '2026-10-31T21:50:00Z'); // 23:50 on 31 Oct, local (winter time since the 25th)
  h.world.inject({ call: 'getWhatsApp', kind: 'reason', reason: 26 });
  expect((await pullAt(h, '2026-10-31T21:55:00Z')).outcome).toBe('failed'); // later in October, but failed
  h.world.resetCounters({ closeMonth: '102026' });
  await pullAt(h, '2026-10-31T22:05:00Z'); // 00:05 on 1 Nov, local: November's, and the latest
  h.world.addTraffic(bakery.whatsapp, { service: 9 });
  await pullAt(h, '2026-11-01T02:00:00Z');
  h.clock.set('2026-11-01T04:00:00Z'); // 06:00 on 1 Nov, local
  return { h, acme, bakery };
}

describe('report: which pull a month uses', () => {
  it("uses the month's last complete pull in TIMEZONE: not the latest one, not a failed one, not one from after local midnight", async () => {
    const { h } = await twoMonths();
    const october = await cli(h, ['report', '--month', '2026-10']);
    expect(october.code).toBe(0);
    expect(october.stdout).toContain('Monthly conversation report — October 2026\n');
    expect(october.stdout).toContain('started 2026-10-31 23:50 (Asia/Jerusalem)');
    // Counters reset at the boundary: October has October's conversations only, compared with September's.
    expect(totalLine(october.stdout, 'conversations')).toEqual(['10', '18', '−8 (−44.4%)']);
    expect(totalLine(october.stdout, 'marketing')).toEqual(['5', '11', '−6 (−54.5%)']);
    expect(totalLine(october.stdout, 'service')).toEqual(['2', '5', '−3 (−60.0%)']);
    expect(totalLine(october.stdout, 'incoming')).toEqual(['3', '2', '+1 (+50.0%)']);
    expect(october.stdout).not.toContain('WARNING');
    expect(october.stdout).not.toContain('month to date');
    expect(october.stdout).toContain("Cross-check: 99digital's statistics for the month agree with these totals.");

    const september = await cli(h, ['report', '--month', '2026-09']);
    expect(september.stdout).toContain('started 2026-09-30 23:50 (Asia/Jerusalem)');
    expect(totalLine(september.stdout, 'conversations')[0]).toBe('18');
  });

  it('reports the current month as month to date, labelled, from its latest complete pull', async () => {
    const { h } = await twoMonths();
    const november = await cli(h, ['report', '--month', '2026-11']);
    expect(november.code).toBe(0);
    expect(november.stdout).toContain('Monthly conversation report — November 2026 (month to date)');
    expect(november.stdout).toContain('Month to date: the month is not over yet.');
    expect(november.stdout).toContain('started 2026-11-01 04:00 (Asia/Jerusalem)');
    expect(totalLine(november.stdout, 'conversations')).toEqual(['9', '10', '−1 (−10.0%)']);
    expect(november.stdout).toMatch(/^Nov 2026 \(to date\)\s+9\s/m);
    expect(november.stdout).toMatch(/^Oct 2026\s+10\s/m);
    expect(november.stdout).toMatch(/^Sep 2026\s+18\s/m);
  });

  it('says so when a month has no complete pull, and refuses a month that has not started', async () => {
    const { h } = await twoMonths();
    const august = await cli(h, ['report', '--month', '2026-08']);
    expect(august.code).toBe(0);
    expect(august.stdout).toContain('No complete 99digital pull started in August 2026: there are no figures for this month.');
    const december = await cli(h, ['report', '--month', '2026-12']);
    expect(december.code).toBe(2);
    expect(december.stderr).toContain('--month 2026-12: this month has not started yet (in Asia/Jerusalem)');
  });

  it('lists numbers added and removed during the month, with the last reading of a removed one', async () => {
    const { h, acme } = await twoMonths();
    const newcomer = h.world.addNumber({ display_name: 'Florist Cohen' });
    h.world.addTraffic(newcomer.whatsapp, { service: 4 });
    await pullAt(h, '2026-11-10T09:00:00Z');
    h.world.addTraffic(acme.whatsapp, { marketing: 6 });
    await pullAt(h, '2026-11-12T09:00:00Z');
    h.world.removeNumber(acme.whatsapp);
    await pullAt(h, '2026-11-20T09:00:00Z');
    h.clock.set('2026-11-21T09:00:00Z');
    const november = await cli(h, ['report', '--month', '2026-11']);
    expect(november.stdout).toContain('Numbers added since 2026-10-31 23:50:\n');
    expect(november.stdout).toContain(`  + ${newcomer.whatsapp} Florist Cohen`);
    expect(november.stdout).toContain(`  - ${acme.whatsapp} Acme (last read 2026-11-12 11:00: 6 conversations, not in the totals)`);
    expect(november.stdout).toMatch(new RegExp(`^${acme.whatsapp}\\s+Acme\\s+Acme inc\\s+no\\s+-\\s+-\\s+-\\s+-\\s+gone$`, 'm'));
  });
});
