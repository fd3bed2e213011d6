/**
 * The report's onboarding section across the October/November boundary in Asia/Jerusalem (winter
 * time since 25 October: local midnight on 1 November is 22:00 UTC on 31 October), driven through
 * the 99digital simulator over HTTP with the harness clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, pullAt, reportHarness } from '../helpers/report.js';
import { tempDir } from '../helpers/temp.js';

/** The onboarding table's value for one label. */
function figure(text: string, label: string): string {
  const section = text.slice(text.indexOf('Onboarding links (99digital)'));
  const line = section.split('\n').find((l) => l.startsWith(`${label}  `));
  return line ? line.slice(label.length).trim() : '';
}

async function twoMonths() {
  const h = await reportHarness();
  const at = (iso: string) => h.clock.set(iso);
  at('2026-09-05T09:00:00Z');
  h.world.finishOnboarding(h.world.addOnboarding({ business_name: 'Old Ltd' }).onboarding_link);
  await pullAt(h, '2026-10-01T09:00:00Z'); // the first pull: Old Ltd was finished before we watched

  at('2026-10-10T09:00:00Z');
  const a = h.world.addOnboarding({ business_name: 'A' });
  await pullAt(h, '2026-10-10T10:00:00Z');
  h.world.finishOnboarding(a.onboarding_link);
  await pullAt(h, '2026-10-13T09:00:00Z'); // 3 days after creation
  at('2026-10-20T09:00:00Z');
  const b = h.world.addOnboarding({ business_name: 'B' });
  at('2026-10-25T09:00:00Z');
  const d = h.world.addOnboarding({ business_name: 'D' });
  at('2026-10-28T09:00:00Z');
  h.world.addOnboarding({ business_name: 'E' });
  at('2026-10-30T09:00:00Z');
  const f = h.world.addOnboarding({ business_name: 'F' });
  await pullAt(h, '2026-10-30T10:00:00Z');

  h.world.finishOnboarding(b.onboarding_link);
  await pullAt(h, '2026-10-31T21:30:00Z'); // 23:30 on 31 Oct, local: 11.52 days after creation
  h.world.deleteOnboarding(d.onboarding_link);
  await pullAt(h, '2026-10-31T21:50:00Z'); // 23:50 local: October's last pull

  h.world.finishOnboarding(f.onboarding_link);
  await pullAt(h, '2026-10-31T22:10:00Z'); // 00:10 on 1 Nov, local: November's
  at('2026-10-31T22:30:00Z'); // 00:30 on 1 Nov, local (still 31 Oct in UTC)
  h.world.addOnboarding({ business_name: 'C' });
  await pullAt(h, '2026-11-01T06:00:00Z');
  h.clock.set('2026-11-02T08:00:00Z');
  return h;
}

describe('report: the onboarding section', () => {
  it('counts links by the local month: created, finished, median days to finish, still open, deleted', async () => {
    const h = await twoMonths();
    const october = await cli(h, ['report', '--month', '2026-10']);
    expect(october.code).toBe(0);
    expect(figure(october.stdout, 'links created')).toBe('5'); // A, B, D, E, F (not C: 00:30 local on 1 Nov)
    expect(figure(october.stdout, 'finished')).toBe('2'); // A and B (not F: 00:10 local on 1 Nov; not Old Ltd: before we watched)
    expect(figure(october.stdout, 'median days to finish')).toBe('7.3'); // (3 + 11.52) / 2
    expect(figure(october.stdout, 'still open')).toBe('2 (at the last complete pull)'); // E and F at 23:50
    expect(figure(october.stdout, 'deleted')).toBe('1'); // D

    const november = await cli(h, ['report', '--month', '2026-11']);
    expect(figure(november.stdout, 'links created')).toBe('1');
    expect(figure(november.stdout, 'finished')).toBe('1');
    expect(figure(november.stdout, 'median days to finish')).toBe('1.5'); // F: 30 Oct 09:00 → 31 Oct 22:10 UTC
    expect(figure(november.stdout, 'still open')).toBe('2 (at the last complete pull)'); // C and E
    expect(figure(november.stdout, 'deleted')).toBe('0');

    const september = await cli(h, ['report', '--month', '2026-09']);
    expect(figure(september.stdout, 'links created')).toBe('1'); // Old Ltd, by 99digital's creation time
    expect(figure(september.stdout, 'median days to finish')).toBe('-');
    expect(figure(september.stdout, 'still open')).toBe('- (no complete pull)');
  });

  it('writes the same figures to onboarding.csv and the HTML', async () => {
    const h = await twoMonths();
    const dir = tempDir();
    expect((await cli(h, ['report', '--month', '2026-10', '--out', dir])).code).toBe(0);
    expect(readFileSync(join(dir, 'onboarding.csv'), 'utf8')).toBe('month,links_created,links_finished,median_days_to_finish,still_open,deleted\r\n2026-10,5,2,7.3,2,1\r\n');
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('Onboarding links (99digital)');
    expect(html).toMatch(/median days to finish<\/td>\s*<td[^>]*>7\.3</);
  });
});
