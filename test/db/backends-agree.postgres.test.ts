/**
 * Same commands, same outputs: one scripted history, replayed into a SQLite file and into a
 * PostgreSQL database from the same (seeded) simulated upstreams and the same clock, prints the
 * same `events --json` lines byte for byte — ids, times, key order, text with quotes and emoji.
 */
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/config.js';
import { cli } from '../helpers/cli.js';
import { digital99Harness } from '../helpers/digital99.js';
import { metaHarness } from '../helpers/meta.js';
import { freshPostgresUrl } from '../helpers/postgres.js';
import { tempSqlitePath } from '../helpers/temp.js';

/** Fingerprints of secrets are keyed: the same key on both sides, or they differ by design. */
const FINGERPRINT_SECRET = 'backends-agree';

async function digital99History(dbPath: string): Promise<Env> {
  const h = await digital99Harness({ dbPath, env: { FINGERPRINT_SECRET } });
  const first = h.world.addOnboarding();
  h.world.addOnboarding({ coexistence: 1 });
  await h.sync();
  // The simulator makes up api keys at random: name them, so both worlds hold the same.
  h.world.finishOnboarding(first.onboarding_link, { addNumber: false });
  h.world.addNumber({ whatsapp: first.whatsapp, apiKey: 'key-a' });
  const number = h.world.addNumber({ display_name: 'Café "Ünïcode" 🚀 ‮rtl', apiKey: 'key-b' });
  await h.sync();
  h.world.updateNumber(number.whatsapp, { apiKey: 'key-c' });
  h.world.addTraffic(number.whatsapp, { marketing: 3, incoming: 2 });
  h.world.updateNumber(number.whatsapp, { display_name: 'Zebra \\ back\nslash' });
  await h.sync();
  h.world.inject({ kind: 'malformed', call: 'getWhatsApp' });
  await h.sync(); // fails: nothing stored, nothing looks deleted
  h.world.clearFaults();
  h.world.removeNumber(number.whatsapp);
  await h.sync();
  return h.env;
}

async function metaHistory(dbPath: string): Promise<Env> {
  const h = await metaHarness({ dbPath, env: { FINGERPRINT_SECRET } });
  const waba = h.world.shareWaba({ name: 'Ω WABA ✓' });
  h.world.addPhoneNumber(waba.id);
  await h.sync();
  h.world.setReviewStatus(waba.id, 'REJECTED');
  const phone = h.world.addPhoneNumber(waba.id, { verified_name: 'Ärger & "quotes"' });
  await h.sync();
  h.world.updatePhoneNumber(phone.id, { quality_rating: 'RED' });
  h.world.shareWaba();
  await h.sync('incremental');
  h.world.unshareWaba(waba.id);
  await h.sync();
  return h.env;
}

async function output(env: Env, args: string[]): Promise<string> {
  const run = await cli(args, env);
  expect(run.code, run.stderr).toBe(0);
  return run.stdout;
}

describe('SQLite and PostgreSQL agree', () => {
  for (const [name, history] of [
    ['99digital', digital99History],
    ['Meta', metaHistory],
  ] as const) {
    it(`${name}: the same history prints byte-identical events --json on both backends`, async () => {
      const sqlite = await history(tempSqlitePath());
      const postgres = await history(freshPostgresUrl());
      const all = await output(sqlite, ['events', '--json']);
      expect(all.split('\n').length).toBeGreaterThan(5);
      expect(await output(postgres, ['events', '--json'])).toBe(all);
      for (const args of [['events', '--json', '--type', `${name === 'Meta' ? 'waba' : 'number'}.*`], ['events']]) {
        expect(await output(postgres, args)).toBe(await output(sqlite, args));
      }
    });
  }
});
