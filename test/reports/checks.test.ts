/** What the report warns about: stale figures, counters that don't add up or went down, 99digital's own statistics. */
import { describe, expect, it } from 'vitest';
import { cli, pullAt, reportHarness } from '../helpers/report.js';

describe('report: staleness', () => {
  it("warns that the figures may be short, and by how long, when the month's last pull is long before its end", async () => {
    const h = await reportHarness({ REPORT_STALE_HOURS: '6' });
    const acme = h.world.addNumber({ display_name: 'Acme' });
    await pullAt(h, '2026-10-01T07:00:00Z');
    h.world.addTraffic(acme.whatsapp, { marketing: 3 });
    await pullAt(h, '2026-10-29T08:00:00Z'); // 10:00 on 29 Oct, local: 2 d 14 h before the month ends
    h.clock.set('2026-11-01T04:00:00Z');

    const october = await cli(h, ['report', '--month', '2026-10']);
    expect(october.stdout).toContain(
      'WARNING: The figures may be short: the last complete pull of the month was at 2026-10-29 10:00 (Asia/Jerusalem), 2 d 14 h before the month ended, so up to 2 d 14 h of conversations may be missing.',
    );
    const lenient = await cli(h, ['report', '--month', '2026-10'], { REPORT_STALE_HOURS: '72' });
    expect(lenient.stdout).not.toContain('WARNING');
  });
});

describe('report: checks are shown, not hidden', () => {
  it('shows a number whose counters do not add up, totals that differ from the sums, and a counter that went down', async () => {
    const h = await reportHarness();
    const acme = h.world.addNumber({ display_name: 'Acme' });
    const bakery = h.world.addNumber({ display_name: 'Bakery' });
    h.world.addTraffic(acme.whatsapp, { marketing: 5, service: 1 });
    h.world.addTraffic(bakery.whatsapp, { incoming: 2 });
    await pullAt(h, '2026-10-05T09:00:00Z');
    // 99digital lowers a counter in the middle of the month.
    h.world.updateNumber(acme.whatsapp, { marketingThisMonth: 2, conversationsThisMonth: 3 });
    await pullAt(h, '2026-10-10T09:00:00Z');
    // The list says 50 conversations for Acme while its parts and the stated total say otherwise.
    h.world.inject({ call: 'getWhatsApp', kind: 'corrupt', index: 0, field: 'conversationsThisMonth', value: 50 });
    await pullAt(h, '2026-10-31T21:30:00Z');
    h.clock.set('2026-11-01T04:00:00Z');

    const { stdout, code } = await cli(h, ['report', '--month', '2026-10']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Checks: 4 finding\(s\)$/m);
    expect(stdout).toMatch(new RegExp(`^counters_sum\\s+${acme.whatsapp}\\s+conversations 50 ≠ marketing 2 \\+ service 1 \\+ incoming 0 \\(= 3\\)$`, 'm'));
    expect(stdout).toMatch(/^totals_sum\s+\*\s+total conversations 52 ≠ total marketing \+ service \+ incoming \(= 5\)$/m);
    expect(stdout).toMatch(/^totals_sum\s+\*\s+99digital's stated total differs from its list: totalConversationsThisMonth 5 ≠ 52 from the list$/m);
    expect(stdout).toMatch(
      new RegExp(`^went_down\\s+${acme.whatsapp}\\s+went down within the month: conversations 6 → 3, marketing 5 → 2 \\(between pulls at 2026-10-05 12:00 and 2026-10-10 12:00\\)$`, 'm'),
    );
    // The totals are the stored figures, mismatch and all.
    expect(stdout).toMatch(/^conversations\s+52\s/m);
  });

  it('says every check passed when they did', async () => {
    const h = await reportHarness();
    const acme = h.world.addNumber({ display_name: 'Acme' });
    h.world.addTraffic(acme.whatsapp, { marketing: 5 });
    await pullAt(h, '2026-10-20T09:00:00Z');
    h.clock.set('2026-11-01T04:00:00Z');
    const { stdout } = await cli(h, ['report', '--month', '2026-10']);
    expect(stdout).toContain('Checks: every number adds up (conversations = marketing + service + incoming), the totals equal the sums, no counter went down.');
  });
});

describe("report: cross-check with 99digital's statistics", () => {
  async function october() {
    const h = await reportHarness();
    const acme = h.world.addNumber({ display_name: 'Acme' });
    h.world.addTraffic(acme.whatsapp, { marketing: 5, service: 2 });
    await pullAt(h, '2026-10-31T21:50:00Z');
    h.world.addTraffic(acme.whatsapp, { service: 1 }); // after the last pull of the month
    h.world.resetCounters({ closeMonth: '102026' });
    h.clock.set('2026-11-01T04:00:00Z');
    return h;
  }

  it('shows where the statistics differ from the stored totals', async () => {
    const h = await october();
    const { stdout } = await cli(h, ['report', '--month', '2026-10']);
    expect(stdout).toContain("Cross-check: 99digital's statistics differ: conversations 7 here, 8 in 99digital's statistics; service 2 here, 3 in 99digital's statistics.");
    expect(stdout).toMatch(/^Oct 2026\s+7\s+5\s+2\s+0\s+8$/m);
  });

  it('still reports, and says so, when getConversationsStatistics fails', async () => {
    const h = await october();
    h.world.inject({ call: 'getConversationsStatistics', kind: 'http', status: 503, times: 10 });
    const { stdout, code } = await cli(h, ['report', '--month', '2026-10']);
    expect(code).toBe(0);
    expect(stdout).toContain("Cross-check: 99digital's statistics could not be read (digital99 getConversationsStatistics: HTTP 503 (after retries)); the figures come from the stored pulls only.");
    expect(stdout).toMatch(/^conversations\s+7\s/m);
  });

  it('still reports when 99digital is not configured', async () => {
    const h = await october();
    const { stdout, code } = await cli(h, ['report', '--month', '2026-10'], { DIGITAL99_CLIENT_ID: '', DIGITAL99_CLIENT_SECRET: '' });
    expect(code).toBe(0);
    expect(stdout).toContain("Cross-check: Not cross-checked with 99digital's statistics: 99digital is not configured");
    expect(stdout).toMatch(/^conversations\s+7\s/m);
  });
});
