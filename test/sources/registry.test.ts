/**
 * The upstream registry is complete and consistent: every event type an upstream emits has a digest
 * section and a presenter for its kind, the running sources emit exactly the catalogued types,
 * every check and join names what exists, and no code outside an upstream's folder names its
 * event types or variables (so adding an upstream is its folder plus one registry line).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createSources } from '../../src/sources/index.js';
import { SOURCE_NAMES, UPSTREAMS, findUpstream } from '../../src/sources/registry.js';
import { type SettingsReader, eventTypesOf } from '../../src/sources/upstream.js';
import { manualClock } from '../helpers/clock.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The variables a config section reads, found by running it against a reader that records names. */
function variablesRead(read: (reader: SettingsReader) => unknown): string[] {
  const names = new Set<string>();
  const reader: SettingsReader = {
    problems: [],
    raw: (name) => {
      names.add(name);
      return undefined;
    },
    string: (name, fallback) => {
      names.add(name);
      return fallback;
    },
    url: (name, fallback) => {
      names.add(name);
      return fallback;
    },
    int: (name, fallback) => {
      names.add(name);
      return fallback;
    },
    oneOf: (name, fallback) => {
      names.add(name);
      return fallback;
    },
    credentials: (map) => {
      for (const name of Object.values<string>(map)) names.add(name);
      return null;
    },
  };
  read(reader);
  return [...names];
}

/** Every credential of every upstream set to a value its validation accepts. */
function allEnabledEnv(): Record<string, string> {
  return Object.fromEntries(UPSTREAMS.flatMap((u) => u.config.credentialVariables.map((name) => [name, /BUSINESS_ID$/.test(name) ? '1234' : 'x'])));
}

function allSources() {
  return createSources(parseConfig(allEnabledEnv()), { clock: manualClock(), fingerprint: async () => (secret) => `fp:${secret.length}` });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the upstream registry', () => {
  it('lists each upstream once, under the name its source reports', () => {
    expect(new Set(SOURCE_NAMES).size).toBe(UPSTREAMS.length);
    const sources = allSources();
    expect([...sources.keys()]).toEqual([...SOURCE_NAMES]);
    for (const [name, source] of sources) expect(source.name).toBe(name);
  });

  for (const upstream of UPSTREAMS) {
    describe(upstream.name, () => {
      // Entity changes, and what only its webhooks tell (shown with the kind they name).
      const emitted = [...upstream.kinds.flatMap(eventTypesOf), ...Object.keys(upstream.webhookEventKinds ?? {})];

      it('gives every event type it emits a digest section, and no section to a type it does not emit', () => {
        expect(emitted.filter((type) => upstream.sections[type] === undefined)).toEqual([]);
        expect(Object.keys(upstream.sections).filter((type) => !emitted.includes(type))).toEqual([]);
      });

      it('has a presenter for every kind that emits events, and none for a kind it does not have', () => {
        const emitting = upstream.kinds.filter((spec) => spec.events).map((spec) => spec.kind);
        expect(emitting.filter((kind) => !upstream.presenters[kind])).toEqual([]);
        expect(Object.keys(upstream.presenters).filter((kind) => !emitting.includes(kind))).toEqual([]);
        for (const present of Object.values(upstream.presenters)) {
          expect(present({})).toEqual({ name: null, label: null, number: null, owner: null, wabaId: null, notes: [] });
        }
      });

      it('runs with exactly the kinds and event types it catalogues', () => {
        const source = allSources().get(upstream.name)!;
        expect(source.kinds.map((spec) => spec.kind)).toEqual(upstream.kinds.map((spec) => spec.kind));
        expect(source.kinds.flatMap(eventTypesOf)).toEqual(upstream.kinds.flatMap(eventTypesOf));
        // A webhook-only event type is shown with one of its kinds.
        for (const kind of Object.values(upstream.webhookEventKinds ?? {})) expect(upstream.presenters[kind]).toBeDefined();
      });

      it('is enabled exactly by its credential variables, and says so when disabled', () => {
        const only = Object.fromEntries(upstream.config.credentialVariables.map((name) => [name, allEnabledEnv()[name]!]));
        const config = parseConfig(only);
        expect(config[upstream.name]).not.toBeNull();
        expect(Object.keys(config.disabledReasons).sort()).toEqual(SOURCE_NAMES.filter((name) => name !== upstream.name).sort());
        const off = parseConfig({});
        for (const variable of upstream.config.credentialVariables) expect(off.disabledReasons[upstream.name]).toContain(variable);
        for (const secret of upstream.config.secretVariables) expect(variablesRead((r) => upstream.config.read(r))).toContain(secret);
      });

      it('contributes checks and joins that name registered sources, kinds and titles', () => {
        for (const check of upstream.checks) {
          expect(check.reads).toContain(upstream.name);
          for (const source of check.reads) expect(findUpstream(source)).toBeDefined();
          expect(Object.keys(check.titles).length).toBeGreaterThan(0);
          for (const title of Object.values(check.titles)) expect(title.startsWith(`${upstream.label}:`)).toBe(true);
        }
        for (const offer of upstream.joins) expect(upstream.kinds.map((spec) => spec.kind)).toContain(offer.kind);
      });
    });
  }

  it('never gives two upstreams the same event type or check id', () => {
    const types = UPSTREAMS.flatMap((u) => [...new Set(u.kinds.flatMap(eventTypesOf))]);
    expect(types.length).toBe(new Set(types).size);
    const checks = UPSTREAMS.flatMap((u) => u.checks.flatMap((c) => Object.keys(c.titles)));
    expect(checks.length).toBe(new Set(checks).size);
  });

  it('keeps each upstream vocabulary in its folder: no other code names its event types or variables', () => {
    // The simulators, the bench and the demo stand in for the upstreams, so they may name them.
    const allowed = (file: string) => /^src\/(simulator|bench)\/|^src\/(bench|demo)\.ts$|^src\/sources\/registry\.ts$/.test(file);
    const files = ['src', 'reports', 'jobs', 'db'].flatMap((dir) => filesUnder(join(ROOT, dir))).map((path) => relative(ROOT, path).split('\\').join('/'));
    const leaks: string[] = [];
    for (const upstream of UPSTREAMS) {
      const words = [...new Set([...upstream.kinds.flatMap(eventTypesOf).map((type) => `'${type}'`), ...variablesRead((r) => upstream.config.read(r))])];
      for (const file of files) {
        if (file.startsWith(`src/sources/${upstream.name}/`) || allowed(file)) continue;
        const text = readFileSync(join(ROOT, file), 'utf8');
        for (const word of words) if (text.includes(word)) leaks.push(`${file}: ${word}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
