/** The App is the one place a process gets its database, clock, logger and shared clients from. */
import { describe, expect, it } from 'vitest';
import { openApp } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import { statisticsReader } from '../reports/generate.js';
import { cli } from './helpers/cli.js';
import { digital99Harness } from './helpers/digital99.js';
import { captureLog } from './helpers/log.js';

describe('the App', () => {
  it("shares one 99digital client between the source and the report's statistics, and nothing with another App", async () => {
    const h = await digital99Harness();
    await h.sync();
    expect(h.world.calls.accessToken).toBe(1);

    // The report's statistics reuse the token the pull fetched: one client per App.
    const statistics = statisticsReader(h.app)!;
    await statistics({ from: { year: 2025, month: 1 }, to: { year: 2025, month: 2 } });
    expect(h.world.calls.accessToken).toBe(1);

    // A second App in the same process has a client of its own (no module-level singleton).
    const other = await openApp(parseConfig(h.env), { clock: h.clock });
    try {
      await statisticsReader(other)!({ from: { year: 2025, month: 1 }, to: { year: 2025, month: 2 } });
      expect(h.world.calls.accessToken).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('a one-shot command does not announce the database in its log (status prints it itself); a service does', async () => {
    const h = await digital99Harness();
    const command = captureLog('info');
    expect((await cli(['status'], h.env, { log: command.log })).code).toBe(0);
    expect(command.text()).not.toContain('database opened');

    const service = captureLog('info');
    const app = await openApp(parseConfig(h.env), { clock: h.clock, log: service.log });
    await app.close();
    expect(service.text()).toContain('database opened');
  });
});
