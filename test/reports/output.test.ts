/** `report --out DIR`: the files a person opens, with hostile upstream strings made harmless. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell } from '../../src/render/csv.js';
import { tempDir } from '../helpers/temp.js';
import { cli, pullAt, reportHarness } from '../helpers/report.js';

const HOSTILE_BUSINESS = '=HYPERLINK("http://evil.example/steal","click me")';
const HOSTILE_DISPLAY = '<script>alert("x")</script> & co';

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(file: Buffer): { width: number; height: number } {
  expect([...file.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(file.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: file.readUInt32BE(16), height: file.readUInt32BE(20) };
}

async function fleet() {
  const h = await reportHarness();
  const acme = h.world.addNumber({ display_name: 'Acme', business_name: 'Acme inc' });
  const evil = h.world.addNumber({ display_name: HOSTILE_DISPLAY, business_name: HOSTILE_BUSINESS, coexistence: 1 });
  const hebrew = h.world.addNumber({ display_name: 'פיצה חיפה', business_name: 'Pizza, "Haifa"' });
  h.world.addTraffic(acme.whatsapp, { marketing: 8, service: 2 });
  h.world.addTraffic(evil.whatsapp, { incoming: 1 });
  await pullAt(h, '2026-09-30T20:00:00Z');
  h.world.resetCounters({ closeMonth: '092026' });
  h.world.addTraffic(acme.whatsapp, { marketing: 4, service: 3, incoming: 1 });
  h.world.addTraffic(evil.whatsapp, { marketing: 2 });
  h.world.addTraffic(hebrew.whatsapp, { service: 6 });
  await pullAt(h, '2026-10-31T21:00:00Z');
  h.clock.set('2026-11-01T04:00:00Z');
  return { h, acme, evil, hebrew };
}

describe('report --out', () => {
  it('creates the folder and writes report.html, report.txt, report.csv, onboarding.csv and the chart PNGs', async () => {
    const { h } = await fleet();
    const dir = join(tempDir(), 'reports', 'october');
    const run = await cli(h, ['report', '--month', '2026-10', '--out', dir]);
    expect(run.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['conversations-2026-10.png', 'onboarding.csv', 'report.csv', 'report.html', 'report.txt', 'trend-2026-10.png']);
    expect(run.stdout).toContain(join(dir, 'report.html'));
    expect(readFileSync(join(dir, 'report.txt'), 'utf8')).toContain('Monthly conversation report — October 2026');

    for (const png of ['conversations-2026-10.png', 'trend-2026-10.png']) {
      const file = readFileSync(join(dir, png));
      const { width, height } = pngSize(file);
      expect(width).toBeGreaterThan(400);
      expect(height).toBeGreaterThan(200);
      expect(file.length).toBeGreaterThan(5_000);
      expect(file.length).toBeLessThan(2_000_000);
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<img src="conversations-2026-10.png"');
    expect(html).toContain('<img src="trend-2026-10.png"');
  });

  it('a folder it cannot make (a file of that name) is a usage error naming --out, before any work', async () => {
    const { h } = await fleet();
    const file = join(tempDir(), 'not-a-folder');
    writeFileSync(file, '');
    const run = await cli(h, ['report', '--month', '2026-10', '--out', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--out: cannot write to ${JSON.stringify(file)} (EEXIST)`);
    expect(run.stdout).toBe('');
  });

  it('writes one CSV row per number, this month then last month and the change, with formulas neutralised', async () => {
    const { h, acme, evil, hebrew } = await fleet();
    const dir = tempDir();
    await cli(h, ['report', '--month', '2026-10', '--out', dir]);
    const lines = readFileSync(join(dir, 'report.csv'), 'utf8').split('\r\n');
    expect(lines[0]).toBe(
      'whatsapp,display_name,business_name,coexistence,conversations,marketing,service,incoming,' +
        'previous_conversations,previous_marketing,previous_service,previous_incoming,change_conversations,change_marketing,change_service,change_incoming',
    );
    expect(lines).toContain(`${acme.whatsapp},Acme,Acme inc,0,8,4,3,1,10,8,2,0,-2,-4,1,1`);
    expect(lines).toContain(`${evil.whatsapp},"${HOSTILE_DISPLAY.replace(/"/g, '""')}","'=HYPERLINK(""http://evil.example/steal"",""click me"")",1,2,2,0,0,1,0,0,1,1,2,0,-1`);
    expect(lines).toContain(`${hebrew.whatsapp},פיצה חיפה,"Pizza, ""Haifa""",0,6,0,6,0,0,0,0,0,6,0,6,0`);
    expect(lines.filter((l) => l !== '')).toHaveLength(4);
    // No cell starts with a formula character once unquoted.
    for (const line of lines.slice(1)) expect(line).not.toMatch(/(^|,)"?[=+@]/);
  });

  it('neutralises every formula opener, also after blanks, and leaves plain text alone', () => {
    expect(csvCell('=1+1')).toBe(`"'=1+1"`);
    expect(csvCell('+972501234567')).toBe(`"'+972501234567"`);
    expect(csvCell('-2')).toBe(`"'-2"`);
    expect(csvCell('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvCell('  =cmd')).toBe(`"'  =cmd"`);
    expect(csvCell('\tx')).toBe(`"'\tx"`);
    expect(csvCell('Acme, Ltd')).toBe('"Acme, Ltd"');
    expect(csvCell('Acme')).toBe('Acme');
  });

  it('escapes every upstream string in the HTML', async () => {
    const { h } = await fleet();
    const dir = tempDir();
    await cli(h, ['report', '--month', '2026-10', '--out', dir]);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
    expect(html).toContain('=HYPERLINK(&quot;http://evil.example/steal&quot;,&quot;click me&quot;)');
    expect(html).toContain('פיצה חיפה');
  });

  it('writes no chart for a month without figures, and says why', async () => {
    const { h } = await fleet();
    const dir = tempDir();
    await cli(h, ['report', '--month', '2026-08', '--out', dir]);
    expect(existsSync(join(dir, 'conversations-2026-08.png'))).toBe(false);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain('No complete 99digital pull started in August 2026');
  });
});
