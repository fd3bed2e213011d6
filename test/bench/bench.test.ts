/**
 * `npm run bench` at a tiny scale with no latency: only that it runs end to end and that its
 * checks hold (every section present, events equal to the churn in every pull). No timings are
 * asserted: the benchmark measures, the tests don't.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventMismatches } from '../../src/bench/churn.js';
import { tempDir } from '../helpers/temp.js';

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/bench.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench', () => {
  it('runs every step at a tiny scale, prints each section and the targets, and events equal the churn in every pull', async () => {
    const json = join(tempDir(), 'bench.json');
    const { code, stdout, stderr } = await runBench(['--scale', '0.001', '--latency', '0', '--churn-runs', '2', '--webhooks', '30', '--webhook-rate', '200', '--console-samples', '3', '--json', json]);
    expect(stderr).not.toContain('MISMATCH');
    expect(code).toBe(0);
    for (const heading of ['1. Baseline full sync', '2. Full syncs after 0.50 % churn each', '3. Incremental Meta sync after 50 new client WABAs', '4. Webhooks: 30 signed Meta deliveries at 200/s', '5. Web console: server time per page', '6. Limits measured in this run', 'Targets']) {
      expect(stdout).toContain(heading);
    }
    expect(stdout).not.toContain('MISMATCH');

    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.eventsChecked).toBe(true);
    expect(report.fleet).toMatchObject({ metaWabas: 100, digital99Onboardings: 20, dialog360Channels: 20 });
    expect(report.baseline.pulls.map((p: { source: string; outcome: string }) => [p.source, p.outcome])).toEqual([
      ['meta', 'complete'],
      ['digital99', 'complete'],
      ['dialog360', 'complete'],
    ]);
    expect(report.baseline.pulls.every((p: { eventTypes: Record<string, number> }) => p.eventTypes['sync.baseline'] === 1)).toBe(true);
    // The work done on the page thread is shown beside storing: Meta's and 360dialog's pages go there, 99digital's don't.
    const pageThread = Object.fromEntries(report.baseline.pulls.map((p: { source: string; pageThreadMs: number }) => [p.source, p.pageThreadMs]));
    expect(pageThread).toEqual({ meta: expect.any(Number), digital99: 0, dialog360: expect.any(Number) });
    expect(pageThread.meta).toBeGreaterThan(0);
    expect(pageThread.dialog360).toBeGreaterThan(0);
    expect(stdout).toMatch(/^SOURCE +WALL +STORE +PAGE THREAD +ENTITIES/m);
    expect(report.churn).toHaveLength(2);
    for (const round of report.churn) {
      for (const pull of round.pulls) {
        expect(pull.outcome).toBe('complete');
        expect(pull.mismatches).toEqual([]);
        // Every kind of operation was applied, and something was expected of it.
        expect(Object.keys(round.operations[pull.source]).length).toBeGreaterThan(3);
        expect(pull.eventTypes).toEqual(pull.expectedEvents);
      }
    }
    // 50 new WABAs, and their 50 numbers, which come with the list.
    expect(report.incremental).toMatchObject({ mode: 'incremental', outcome: 'complete', events: 100, eventTypes: { 'waba.shared': 50, 'phone_number.added': 50 } });
    expect(report.baseline.db.bytes).toBeGreaterThan(0);
    expect(report.baseline.peakRssMb).toBeGreaterThan(0);
    // 27 review decisions and 3 new WABAs with a number each: 33 events, each once, one Graph call a delivery.
    expect(report.webhooks).toMatchObject({ deliveries: 30, expectedEvents: 33, events: 33, lost: [], repeated: [], graphCalls: 30 });
    // Each console page asked 3 times, on the database the run left (its WABAs' pages included).
    expect(report.console.pages.map((p: { page: string; samples: number }) => p.samples)).toEqual([3, 3, 3, 3, 3, 3, 3]);
    // The churn runs' events, each at the loopback subscriber (lag is measured, not asserted).
    expect(report.delivery.events).toBeGreaterThan(0);
    expect(report.delivery).toMatchObject({ delivered: report.delivery.events, lost: 0 });
    expect(stdout).toMatch(/event delivery to a loopback subscriber .*: (\d+) of \1 churn events/);
    // The read floor of every pull: exactly the requests the pull sent, replayed outside its call counts.
    const pulls = [...report.baseline.pulls, ...report.churn.flatMap((round: { pulls: unknown[] }) => round.pulls), report.incremental];
    for (const pull of pulls) {
      expect(pull.readFloorError).toBeUndefined();
      expect(pull.readFloor).toMatchObject({ requests: pull.apiCalls });
      expect(pull.readFloor.bytes).toBeGreaterThan(0);
    }
    // The baseline's token request was replayed too, and the churn pulls still need none.
    expect(report.churn.map((round: { pulls: { source: string; calls: object }[] }) => round.pulls.find((p) => p.source === 'digital99')!.calls)).toEqual([
      { getAccounts: 1, getWhatsApp: 1 },
      { getAccounts: 1, getWhatsApp: 1 },
    ]);
    expect(stdout).toMatch(/^SOURCE +MIN CALLS +LATENCY FLOOR +READ FLOOR .* WALL ÷ FLOOR +WALL ÷ READ FLOOR /m);
    const targets = report.targets.map((t: { target: string; source: string | null }) => `${t.target}${t.source ? ` (${t.source})` : ''}`);
    expect(targets).toEqual(
      expect.arrayContaining([
        'Meta churn pull wall ≤ 1.3 × read floor (meta)',
        'Meta churn pull wall ≤ 1.5 × latency floor (meta)',
        'Meta baseline wall ≤ 2 × latency floor (meta)',
        ...['meta', 'digital99', 'dialog360'].map((source) => `churn-pull storing ≤ 2 × raw insert (${source})`),
        ...['meta', 'digital99', 'dialog360'].map((source) => `baseline storing ≤ 1.5 × same-schema insert (${source})`),
      ]),
    );
    expect(targets).not.toContain('full pull wall time ≤ 1.5 × latency floor (meta)');
    // The read floor is measured at latency 0 too, so the Meta churn pull is judged against it.
    expect(report.targets.find((t: { target: string }) => t.target === 'Meta churn pull wall ≤ 1.3 × read floor').pass).not.toBeNull();
    expect(targets).toHaveLength(28);
  }, 120_000);

  it('rejects a bad option with exit code 2, naming it', async () => {
    const { code, stderr } = await runBench(['--scale', '-1']);
    expect(code).toBe(2);
    expect(stderr).toContain('--scale must be a positive number');
    const notPostgres = await runBench(['--database-url', './some.sqlite']);
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.stderr).toContain('--database-url: expected a PostgreSQL URL');
  }, 60_000);

  // The server the tests were given, when there is one; otherwise the bench starts its own.
  const serverOfTests = process.env.TEST_POSTGRES_URL ? ['--database-url', process.env.TEST_POSTGRES_URL] : [];
  it('--database both: the same run on SQLite and on an embedded PostgreSQL, side by side, events equal to the churn on both', async () => {
    const json = join(tempDir(), 'bench.json');
    const { code, stdout, stderr } = await runBench(['--scale', '0.001', '--latency', '0', '--churn-runs', '1', '--webhooks', '20', '--webhook-rate', '200', '--console-samples', '3', '--database', 'both', '--no-delivery', '--quiet', '--json', json, ...serverOfTests]);
    expect(code, stderr).toBe(0);
    for (const heading of ['=== SQLite ===', '=== PostgreSQL ===', 'SQLite and PostgreSQL side by side']) expect(stdout).toContain(heading);
    expect(stdout).toMatch(/^storing \+ diffing ≤ 2 × SQLite storing the same pull\s+meta\s/m);
    expect(stdout).not.toContain('MISMATCH');
    const { sqlite, postgres } = JSON.parse(readFileSync(json, 'utf8'));
    expect([sqlite.database.backend, postgres.database.backend]).toEqual(['sqlite', 'postgres']);
    expect(postgres.eventsChecked).toBe(true);
    expect(postgres.churn[0].pulls.map((p: { eventTypes: unknown }) => p.eventTypes)).toEqual(sqlite.churn[0].pulls.map((p: { expectedEvents: unknown }) => p.expectedEvents));
    expect(postgres.baseline.db.bytes).toBeGreaterThan(0);
  }, 180_000);
});

describe('eventMismatches', () => {
  it('names each type whose count differs, in both directions', () => {
    expect(eventMismatches({ 'waba.shared': 2, 'phone_number.added': 2 }, { 'waba.shared': 2, 'phone_number.added': 1, 'waba.changed': 1 })).toEqual([
      'phone_number.added: expected 2, emitted 1',
      'waba.changed: expected 0, emitted 1',
    ]);
    expect(eventMismatches({ 'waba.shared': 1 }, { 'waba.shared': 1 })).toEqual([]);
  });
});
