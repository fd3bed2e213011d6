/**
 * A pull compares its pages with a snapshot of the current versions and stages only what changed.
 * These tests hold the promises that rest on it: unchanged entities cost no new version, a changed
 * one still gets its version and event, and current versions that move while the pull is staged (a
 * writer that ignored the lease) fail the pull instead of being silently overwritten.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase, sqliteTempDirectory } from '../../db/database.js';
import { migrations } from '../../db/migrations/index.js';
import { WabaSyncError } from '../../src/errors.js';
import { listEvents } from '../../src/events/query.js';
import { silentLogger } from '../../src/log.js';
import { runSourcePull } from '../../src/sync/run-source.js';
import { readSnapshot, snapshotChunkQuery } from '../../src/sync/snapshot.js';
import type { PullContext, Source } from '../../src/sync/types.js';
import { manualClock } from '../helpers/clock.js';
import { testBackend } from '../helpers/postgres.js';
import { tempDbPath, tempSqlitePath } from '../helpers/temp.js';

function source(pages: () => Record<string, { name: string }>[], during?: (ctx: PullContext) => Promise<void>): Source {
  return {
    name: 'digital99',
    supportsIncremental: false,
    kinds: [{ kind: 'item', events: { added: 'item.added', removed: 'item.removed', changed: 'item.changed' } }],
    async pull(ctx) {
      for (const page of pages()) {
        await ctx.stage(
          'item',
          Object.entries(page).map(([key, data]) => ({ key, data })),
        );
        await during?.(ctx);
      }
      return { coverage: { item: 'complete' } };
    },
  };
}

describe('staging against the current versions', () => {
  it('an unchanged fleet adds no version; a change among many pages gets exactly its version and event', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const names = new Map(Array.from({ length: 1200 }, (_, i) => [`k${String(i).padStart(4, '0')}`, `name ${i}`]));
    const pages = () => {
      const all = [...names].map(([key, name]) => [key, { name }] as const);
      return [0, 1, 2].map((p) => Object.fromEntries(all.slice(p * 400, p * 400 + 400)));
    };
    const deps = { db, clock, log: silentLogger };
    expect((await runSourcePull(deps, source(pages), 'full')).outcome).toBe('complete');
    clock.advance(60_000);
    expect((await runSourcePull(deps, source(pages), 'full')).events).toBe(0);
    const versions = async () => (await db.selectFrom('entity_version').select('id').execute()).length;
    expect(await versions()).toBe(1200);

    names.set('k0999', 'renamed');
    clock.advance(60_000);
    const result = await runSourcePull(deps, source(pages), 'full');
    expect(result.eventTypes).toEqual({ 'item.changed': 1 });
    expect(await versions()).toBe(1201);
    const [event] = (await listEvents(db)).slice(-1);
    expect(event).toMatchObject({ type: 'item.changed', key: 'k0999', changes: { name: { from: 'name 999', to: 'renamed' } } });
    await db.destroy();
  });

  it('a current version that changes while the pull is staged fails the pull and changes nothing', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    const pages = () => [{ a: { name: 'A' }, b: { name: 'B' } }];
    await runSourcePull(deps, source(pages), 'full');
    clock.advance(60_000);
    // 'a' is compared as unchanged, then another writer gives it a new version behind the pull's back.
    const meddle = async () => {
      const current = await db.selectFrom('entity_version').selectAll().where('key', '=', 'a').where('valid_to', 'is', null).executeTakeFirstOrThrow();
      await db.updateTable('entity_version').set({ valid_to: clock().toISOString() }).where('id', '=', current.id).execute();
      const { id: _, ...rest } = current;
      await db.insertInto('entity_version').values({ ...rest, data: '{"name":"elsewhere"}', hash: 'changed-elsewhere', valid_from: clock().toISOString() }).execute();
    };
    const result = await runSourcePull(deps, source(pages, meddle), 'full');
    expect(result.outcome).toBe('failed');
    expect(result.error).toContain('digital99: its current versions changed in the database while the pull was staged');
    expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([]);
    expect((await listEvents(db)).map((e) => e.type)).toEqual(['sync.baseline']);
    await db.destroy();
  });

  it('a key that comes twice in one pull fails it and changes nothing, whether its first page was written or is still queued', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, { name: `n${i}` }]));
    await runSourcePull(deps, source(() => [many]), 'full');
    for (const pages of [() => [many, { k7: { name: 'again' } }], () => [{ x: { name: 'X' } }, { x: { name: 'X' } }]]) {
      clock.advance(60_000);
      const result = await runSourcePull(deps, source(pages), 'full');
      expect(result.outcome).toBe('failed');
      expect(result.error).toMatch(/item "(k7|x)" appears twice in one pull/);
    }
    expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([]);
    expect((await listEvents(db)).map((e) => e.type)).toEqual(['sync.baseline']);
    await db.destroy();
  });
});

describe('discarding a kind and reading it again', () => {
  it('counts each entity once, accepts the same keys again, and removes what only the discarded read saw', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    const pages = () => [{ a: { name: 'A' }, b: { name: 'B' }, c: { name: 'C' } }];
    await runSourcePull(deps, source(pages), 'full');
    clock.advance(60_000);
    // First read sees a, b (renamed) and c; it is thrown away, and the second read finds c gone.
    const rereading: Source = {
      ...source(pages),
      async pull(ctx) {
        await ctx.stage('item', [
          { key: 'a', data: { name: 'A' } },
          { key: 'b', data: { name: 'B first read' } },
          { key: 'c', data: { name: 'C' } },
        ]);
        await ctx.discard('item');
        await ctx.stage('item', [
          { key: 'a', data: { name: 'A' } },
          { key: 'b', data: { name: 'B2' } },
        ]);
        return { coverage: { item: 'complete' } };
      },
    };
    const result = await runSourcePull(deps, rereading, 'full');
    expect(result.outcome).toBe('complete');
    expect(result.entities).toBe(2);
    expect(result.eventTypes).toEqual({ 'item.changed': 1, 'item.removed': 1 });
    const events = (await listEvents(db)).slice(1).map((e) => `${e.type} ${e.key}`);
    expect(events).toEqual(['item.changed b', 'item.removed c']);
    expect((await listEvents(db)).find((e) => e.key === 'b')?.changes).toEqual({ name: { from: 'B', to: 'B2' } });
    await db.destroy();
  });
});

describe('keys that SQLite and JavaScript order differently', () => {
  it('are still found in the snapshot: an unchanged pull emits nothing and removes nothing', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    // UTF-8 puts U+FF5E before U+1F600; UTF-16 puts the emoji's surrogates (U+D83D) first.
    const pages = () => [{ '\uff5e': { name: 'wave' }, '\u{1f600}': { name: 'smile' }, a: { name: 'A' } }];
    await runSourcePull(deps, source(pages), 'full');
    clock.advance(60_000);
    const result = await runSourcePull(deps, source(pages), 'full');
    expect(result.outcome).toBe('complete');
    expect(result.eventTypes).toEqual({});
    expect((await listEvents(db)).map((e) => e.type)).toEqual(['sync.baseline']);
    await db.destroy();
  });
});

describe('clearing staged rows at commit', () => {
  it("a pull's commit leaves the rows another pull is staging at that moment, and takes its own", async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    const staged = async () => (await db.selectFrom('pull_item').select(['run_id', 'key']).execute()).map((row) => row.key).sort();
    const page = (prefix: string, n: number, name = prefix) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${String(i).padStart(4, '0')}`, { name: `${name} ${i}` }]));
    // A baseline first (on PostgreSQL a baseline writes its versions directly, staging nothing), so
    // the outer pull below stages: every one of its rows changed.
    expect((await runSourcePull(deps, source(() => [page('a', 4100, 'old')]), 'full')).outcome).toBe('complete');
    clock.advance(60_000);
    // More than the stager queues in memory (4,000 rows): the outer page is in pull_item at once.
    const outerKeys = Object.keys(page('a', 4100));
    let seenDuring: string[] = [];
    // The outer pull stages its page, then — mid-pull — a pull of another source runs to its commit.
    const inner: Source = { ...source(() => [page('b', 5)]), name: 'dialog360' };
    const outer = source(
      () => [page('a', 4100)],
      async () => {
        expect((await runSourcePull(deps, inner, 'full')).outcome).toBe('complete');
        seenDuring = await staged();
      },
    );
    const result = await runSourcePull(deps, outer, 'full');
    expect(result.outcome).toBe('complete');
    expect(result.eventTypes).toEqual({ 'item.changed': 4100 });
    // The outer pull's rows survived the inner commit.
    expect(seenDuring).toEqual(outerKeys);
    expect(await staged()).toEqual([]);
    const versions = (await db.selectFrom('entity_version').select('key').execute()).map((row) => row.key);
    expect(versions).toHaveLength(2 * 4100 + 5);
    expect(versions.filter((key) => key.startsWith('b')).sort()).toEqual(['b0000', 'b0001', 'b0002', 'b0003', 'b0004']);
    await db.destroy();
  });
});

/** Keys that break naive quoting, escaping, splitting or ordering: quotes, backslashes, newlines, U+001F, "NULL", other scripts, past U+FFFF. */
const ODD_KEYS = ['k"quoted"', 'k\\back\\slash', 'k\nnew\nline', 'k\tטאב', 'k😀', "k'single'", 'k,comma', 'k{brace}', 'k NULL', 'NULL', 'k\u001funit', 'k\uff01'];

describe('what staging carries', () => {
  it('keys and contents with quotes, backslashes, newlines and other scripts come back as written: an unchanged pull after the baseline reports nothing, a change exactly itself', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    const names = new Map(ODD_KEYS.map((key, i) => [key, `name "${i}" \\ \n ${key}`]));
    const pages = () => [Object.fromEntries([...names].map(([key, name]) => [key, { name }]))];
    expect((await runSourcePull(deps, source(pages), 'full')).outcome).toBe('complete');
    const stored = await db.selectFrom('entity_version').select(['key', 'data']).execute();
    expect(stored.map((row) => row.key).sort()).toEqual([...ODD_KEYS].sort());
    for (const row of stored) expect(JSON.parse(row.data)).toEqual({ name: names.get(row.key) });
    clock.advance(60_000);
    expect((await runSourcePull(deps, source(pages), 'full')).events).toBe(0);
    names.set('k\nnew\nline', 'renamed');
    clock.advance(60_000);
    const changed = await runSourcePull(deps, source(pages), 'full');
    expect(changed.eventTypes).toEqual({ 'item.changed': 1 });
    expect((await listEvents(db)).at(-1)).toMatchObject({ type: 'item.changed', key: 'k\nnew\nline' });
    // Every one changed: all staged (a baseline on PostgreSQL staged none), each with its own content.
    for (const key of ODD_KEYS) names.set(key, `renamed \u001f ${key}`);
    clock.advance(60_000);
    expect((await runSourcePull(deps, source(pages), 'full')).eventTypes).toEqual({ 'item.changed': ODD_KEYS.length });
    const current = await db.selectFrom('entity_version').select(['key', 'data']).where('valid_to', 'is', null).execute();
    expect(current.map((row) => row.key).sort()).toEqual([...ODD_KEYS].sort());
    for (const row of current) expect(JSON.parse(row.data)).toEqual({ name: `renamed \u001f ${row.key}` });
    await db.destroy();
  });

  it('the snapshot read in chunks holds every current key with its hash, whatever the chunk boundaries', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const keys = [...ODD_KEYS, ...Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`)];
    const pages = () => [Object.fromEntries(keys.map((key) => [key, { name: `name of ${key}` }]))];
    expect((await runSourcePull({ db, clock, log: silentLogger }, source(pages), 'full')).outcome).toBe('complete');
    const current = await db.selectFrom('entity_version').select(['key', 'hash']).execute();
    for (const chunk of [1, 7, 49, 50, 1000]) {
      const snapshot = (await readSnapshot(db, 'digital99', ['item'], chunk)).kinds.get('item')!;
      expect(snapshot.size, `chunk ${chunk}`).toBe(keys.length);
      // Every key found, with its own hash and no other's; nothing seen yet, so all are unseen, sorted.
      for (const { key, hash } of current) {
        const index = snapshot.indexOf(key);
        expect(index, `${JSON.stringify(key)}, chunk ${chunk}`).toBeGreaterThanOrEqual(0);
        expect(snapshot.hashMatches(index, hash)).toBe(true);
        expect(snapshot.hashMatches(index, current.find((other) => other.key !== key)!.hash)).toBe(false);
      }
      expect(snapshot.unseen()).toEqual([...keys].sort());
      expect(snapshot.indexOf('k-missing')).toBe(-1);
    }
    await db.destroy();
  });
});

describe("the snapshot's read", () => {
  it('takes the keys and hashes from one index, never the rows', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const keys = Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const pages = () => [Object.fromEntries(keys.map((key) => [key, { name: `name of ${key} ${'x'.repeat(200)}` }]))];
    expect((await runSourcePull({ db, clock, log: silentLogger }, source(pages), 'full')).outcome).toBe('complete');
    const { sql: text, parameters } = snapshotChunkQuery(db, 'digital99', 'item', 'k100', 50).compile(db);
    if (testBackend === 'postgres') {
      await sql`vacuum analyze entity_version`.execute(db);
      // A few hundred rows: without this the planner could rightly read the table itself.
      const plan = await db.transaction().execute(async (trx) => {
        await sql`set local enable_seqscan = off`.execute(trx);
        return trx.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${text}`, [...parameters]));
      });
      expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Index Only Scan using entity_version_current on entity_version/);
    } else {
      // SQLite's planner would take the unique index of current keys and read every row for its
      // hash. Through this one the key and hash are in the index, and its plan says only "USING
      // INDEX" (not COVERING) because of the partial index's condition: the row is never sought.
      const plan = await db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${text}`, [...parameters]));
      expect(plan.rows.map((row) => row.detail).join('\n')).toMatch(/USING (COVERING )?INDEX entity_version_current_hash\b/);
    }
    const chunk = (await snapshotChunkQuery(db, 'digital99', 'item', 'k100', 50).execute(db)).rows[0]!;
    const current = new Map((await db.selectFrom('entity_version').select(['key', 'hash']).execute()).map((row) => [row.key, row.hash]));
    const chunkKeys = JSON.parse(chunk.keys!) as string[];
    expect([...chunkKeys].sort()).toEqual(keys.slice(101, 151));
    expect(JSON.parse(chunk.hashes!)).toEqual(chunkKeys.map((key) => current.get(key)));
    expect(chunk.last).toBe('k150');
    await db.destroy();
  });
});

/**
 * A baseline (a source's first complete pull): on PostgreSQL its rows go straight into
 * entity_version inside the transaction its commit ends; on SQLite they are staged. Either way
 * nothing of it is visible before the commit and nothing of a failed one remains.
 */
describe('a baseline', () => {
  const many = (n: number, name = 'n') => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${String(i).padStart(5, '0')}`, { name: `${name}${i}` }]));
  const versions = async (db: Awaited<ReturnType<typeof openDatabase>>) => (await db.selectFrom('entity_version').select('key').execute()).length;

  it('is invisible to other connections until its commit, and a failed one leaves nothing: the next pull is the baseline again', async () => {
    const url = tempDbPath();
    const db = await openDatabase(url);
    const reader = await openDatabase(url);
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    const visible: number[] = [];
    // Two pages of 4,500 (past a write batch), then the upstream fails.
    const failing: Source = {
      ...source(() => []),
      async pull(ctx) {
        await ctx.stage('item', Object.entries(many(4500)).map(([key, data]) => ({ key, data })));
        visible.push(await versions(reader));
        await ctx.stage('item', Object.entries(many(9000)).slice(4500).map(([key, data]) => ({ key, data })));
        visible.push(await versions(reader));
        throw new WabaSyncError('UPSTREAM', 'digital99: the list broke off');
      },
    };
    const failed = await runSourcePull(deps, failing, 'full');
    expect(failed.outcome).toBe('failed');
    expect(visible).toEqual([0, 0]);
    expect(await versions(reader)).toBe(0);
    expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([]);
    expect(await listEvents(reader)).toEqual([]);

    clock.advance(60_000);
    const during: number[] = [];
    const result = await runSourcePull(deps, source(() => [many(4500)], async () => void during.push(await versions(reader))), 'full');
    expect(result).toMatchObject({ outcome: 'complete', baseline: true, entities: 4500 });
    expect(during).toEqual([0]);
    expect(await versions(reader)).toBe(4500);
    expect((await listEvents(reader)).map((e) => e.type)).toEqual(['sync.baseline']);
    await reader.destroy();
    await db.destroy();
  });

  it('with a key twice fails, naming it, whether its first page was written or is still queued, and leaves nothing', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    for (const pages of [() => [many(5000), { k00007: { name: 'again' } }], () => [{ x: { name: 'X' } }, { x: { name: 'X' } }]]) {
      const result = await runSourcePull(deps, source(pages), 'full');
      expect(result.outcome).toBe('failed');
      expect(result.error).toMatch(/item "(k00007|x)" appears twice in one pull/);
      expect(await versions(db)).toBe(0);
      clock.advance(60_000);
    }
    expect(await listEvents(db)).toEqual([]);
    await db.destroy();
  });

  it('read again after a discard keeps only the second read, each entity once', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const rereading: Source = {
      ...source(() => []),
      async pull(ctx) {
        await ctx.stage('item', Object.entries(many(4500, 'first')).map(([key, data]) => ({ key, data })));
        await ctx.discard('item');
        await ctx.stage('item', Object.entries(many(4400, 'second')).map(([key, data]) => ({ key, data })));
        return { coverage: { item: 'complete' } };
      },
    };
    const result = await runSourcePull({ db, clock, log: silentLogger }, rereading, 'full');
    expect(result).toMatchObject({ outcome: 'complete', baseline: true, entities: 4400 });
    const stored = await db.selectFrom('entity_version').select(['key', 'data']).orderBy('key').execute();
    expect(stored).toHaveLength(4400);
    expect(stored.every((row) => JSON.parse(row.data).name.startsWith('second'))).toBe(true);
    expect((await listEvents(db))[0]!.after).toEqual({ entities: { item: 4400 } });
    await db.destroy();
  });
});

describe('a baseline with a kind its source did not cover', () => {
  it('stores only the covered kinds; what it read of the other is not applied', async () => {
    const db = await openDatabase(tempDbPath());
    const twoKinds: Source = {
      ...source(() => []),
      kinds: [
        { kind: 'item', events: { added: 'item.added', removed: 'item.removed', changed: 'item.changed' } },
        { kind: 'part', events: { added: 'part.added', removed: 'part.removed', changed: 'part.changed' } },
      ],
      async pull(ctx) {
        await ctx.stage('item', [{ key: 'i1', data: { name: 'I' } }]);
        await ctx.stage('part', [{ key: 'p1', data: { name: 'P' } }]);
        return { coverage: { item: 'complete' } };
      },
    };
    const result = await runSourcePull({ db, clock: manualClock(), log: silentLogger }, twoKinds, 'full');
    expect(result).toMatchObject({ outcome: 'complete', baseline: true });
    expect((await db.selectFrom('entity_version').select(['kind', 'key']).execute()).map((row) => `${row.kind} ${row.key}`)).toEqual(['item i1']);
    await db.destroy();
  });
});

describe('a baseline on PostgreSQL, idle', () => {
  const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ key: `k${from + i}`, data: { name: `n${from + i}` } }));
  /** Two pages with `pause` between them: a wait (the process runs: timers fire) or a freeze (it doesn't). */
  const pausing = (pause: () => Promise<void> | void): Source => ({
    ...source(() => []),
    async pull(ctx) {
      await ctx.stage('item', rows(0, 4500));
      await pause();
      await ctx.stage('item', rows(4500, 9000));
      return { coverage: { item: 'complete' } };
    },
  });

  it('a baseline that waits on its upstream longer than the idle limit keeps its transaction and completes', async () => {
    const db = await openDatabase(tempDbPath());
    const deps = { db, clock: manualClock(), log: silentLogger, baselineIdleLimitMs: 300 };
    const result = await runSourcePull(deps, pausing(() => new Promise((resolve) => setTimeout(resolve, 1200))), 'full');
    expect(result).toMatchObject({ outcome: 'complete', baseline: true, entities: 9000 });
    expect(await db.selectFrom('entity_version').select('id').execute()).toHaveLength(9000);
    await db.destroy();
  });

  it('a baseline whose process stops running past the idle limit fails and leaves nothing (PostgreSQL: the server ends its transaction); the next pull completes', async () => {
    const db = await openDatabase(tempDbPath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger, baselineIdleLimitMs: 300 };
    // The thread blocked outright, as in a frozen process: no timer runs, no keep-alive is sent.
    const freeze = () => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
    const frozen = await runSourcePull(deps, pausing(freeze), 'full');
    if (testBackend === 'postgres') {
      expect(frozen.outcome).toBe('failed');
      expect(frozen.errorCode).toBe('DATABASE');
      expect(frozen.error).toMatch(/digital99: the baseline's database transaction sat idle \d+\.\d s, past its limit of 0\.3 s \(the process did not run meanwhile\), and PostgreSQL ended it; nothing was applied/);
      expect(await db.selectFrom('entity_version').select('id').execute()).toEqual([]);
      expect(await listEvents(db)).toEqual([]);
      clock.advance(60_000);
      const again = await runSourcePull(deps, source(() => [Object.fromEntries(rows(0, 9000).map((r) => [r.key, r.data]))]), 'full');
      expect(again).toMatchObject({ outcome: 'complete', baseline: true, entities: 9000 });
    } else {
      // SQLite stages a baseline in short transactions of its own: a pause costs nothing.
      expect(frozen).toMatchObject({ outcome: 'complete', baseline: true, entities: 9000 });
    }
    expect(await db.selectFrom('entity_version').select('id').execute()).toHaveLength(9000);
    await db.destroy();
  });
});

describe.runIf(testBackend === 'sqlite')('SQLite: a pull stages in its connection, not in the file', () => {
  const items = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${String(i).padStart(5, '0')}`, { name: `${prefix} ${i}` }]));

  it("what a pull has staged is in no file another process can read, and that process writes meanwhile without waiting; the commit then applies all of it", async () => {
    const path = tempSqlitePath();
    const db = await openDatabase(path);
    const deps = { db, clock: manualClock(), log: silentLogger };
    let during: { ours: number; theirs: number; wrote: boolean } | null = null;
    // More than the stager holds in memory (4,000 rows): the first page is written while the pull runs.
    const pull = source(
      () => [items('a', 4100), items('b', 10)],
      async () => {
        if (during) return;
        const other = new SQLite(path, { timeout: 0 });
        other.prepare("insert into app_setting (name, value) values ('written-meanwhile', 'yes')").run();
        during = {
          ours: (await db.selectFrom('pull_item').select('key').execute()).length,
          theirs: (other.prepare('select count(*) as n from pull_item').get() as { n: number }).n,
          wrote: true,
        };
        other.close();
      },
    );
    const result = await runSourcePull(deps, pull, 'full');
    expect(result).toMatchObject({ outcome: 'complete', baseline: true, entities: 4110 });
    expect(during).toEqual({ ours: 4100, theirs: 0, wrote: true });
    expect(await db.selectFrom('entity_version').select('id').execute()).toHaveLength(4110);
    expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([]);
    await db.destroy();
  });

  it('a complete pull leaves its rows in the database file itself, not only in the write-ahead log', async () => {
    const path = tempSqlitePath();
    const db = await openDatabase(path);
    const deps = { db, clock: manualClock(), log: silentLogger };
    expect((await runSourcePull(deps, source(() => [items('a', 3000)]), 'full')).outcome).toBe('complete');
    // The file alone, without its log (a copy of the file as a backup tool that ignores -wal would take).
    const fileOnly = `${path}.file-only`;
    copyFileSync(path, fileOnly);
    const copy = new SQLite(fileOnly, { readonly: true });
    expect((copy.prepare('select count(*) as n from entity_version where valid_to is null').get() as { n: number }).n).toBe(3000);
    copy.close();
    await db.destroy();
  });

  it('upgrading throws away what the file still holds of pulls that can no longer complete, and leaves a running pull its rows', async () => {
    const path = tempSqlitePath();
    const older = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(path) }) });
    const names = Object.keys(migrations);
    expect((await new Migrator({ db: older, provider: { getMigrations: async () => migrations } }).migrateTo(names[names.indexOf('2026_12_01_0010_sqlite_staging_per_connection') - 1]!)).error).toBeUndefined();
    const run = (outcome: string) => ({ source: 'digital99', mode: 'full', started_at: '2026-11-30T00:00:00.000Z', outcome, entities: 0, events: 0, api_calls: 0 });
    const running = (await older.insertInto('sync_run').values(run('running')).returning('id').executeTakeFirstOrThrow()).id as number;
    const failed = (await older.insertInto('sync_run').values(run('failed')).returning('id').executeTakeFirstOrThrow()).id as number;
    for (const [runId, key] of [[running, 'kept'], [failed, 'gone'], [999, 'gone too']] as const) {
      await older.insertInto('pull_item').values({ run_id: runId, kind: 'number', key, data: null, hash: 'h' }).execute();
    }
    await older.destroy();

    const db = await openDatabase(path);
    expect(await sql<{ key: string }>`select key from main.pull_item order by key`.execute(db).then((r) => r.rows.map((row) => row.key))).toEqual(['kept']);
    await db.destroy();
  });
});

describe.runIf(testBackend === 'sqlite')('SQLite: the staging table between pulls', () => {
  const items = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${String(i).padStart(5, '0')}`, { name: `${prefix} ${i} ${'x'.repeat(400)}` }]));
  const staging = async (db: Awaited<ReturnType<typeof openDatabase>>) => ({
    pages: (await sql<{ page_count: number }>`PRAGMA temp.page_count`.execute(db)).rows[0]!.page_count,
    indexes: (await sql<{ name: string }>`select name from temp.sqlite_master where type = 'index'`.execute(db)).rows.map((row) => row.name),
  });

  it('gives its temporary file back and loses its index once empty: after a committed pull and after a failed one', async () => {
    const db = await openDatabase(tempSqlitePath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    // ≈ 4 MB of rows: past the temporary database's 2 MB cache, so they reach its file.
    expect((await runSourcePull(deps, source(() => [items('a', 9000)]), 'full')).outcome).toBe('complete');
    expect(await staging(db)).toEqual({ pages: expect.any(Number), indexes: [] });
    expect((await staging(db)).pages).toBeLessThan(10);
    clock.advance(60_000);
    const failed = await runSourcePull(deps, source(() => [items('b', 9000), { b00007: { name: 'again' } }]), 'full');
    expect(failed.error).toMatch(/item "b00007" appears twice in one pull/);
    expect((await staging(db)).indexes).toEqual([]);
    expect((await staging(db)).pages).toBeLessThan(10);
    await db.destroy();
  });

  it("a pull interrupted before this version, staged in the file's table, is recovered and its rows dropped by the next pull", async () => {
    const db = await openDatabase(tempSqlitePath());
    const deps = { db, clock: manualClock(), log: silentLogger };
    const { id } = await db
      .insertInto('sync_run')
      .values({ source: 'digital99', mode: 'full', started_at: '2026-11-30T00:00:00.000Z', outcome: 'running', entities: 0, events: 0, api_calls: 0 })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`insert into main.pull_item (run_id, kind, key, data, hash) values (${id}, 'item', 'left', null, 'h')`.execute(db);
    expect((await runSourcePull(deps, source(() => [items('a', 10)]), 'full')).outcome).toBe('complete');
    expect((await db.selectFrom('sync_run').select('error_code').where('id', '=', id).executeTakeFirstOrThrow()).error_code).toBe('INTERRUPTED');
    expect((await sql`select key from main.pull_item`.execute(db)).rows).toEqual([]);
    await db.destroy();
  });

  it('on a disk that fills up during its commit fails the pull saying so and applies nothing; the next pull completes', async () => {
    const db = await openDatabase(tempSqlitePath());
    const clock = manualClock();
    const deps = { db, clock, log: silentLogger };
    // The database file may grow by 100 pages only: a full disk, as far as SQLite can tell.
    const pages = (await sql<{ page_count: number }>`PRAGMA main.page_count`.execute(db)).rows[0]!.page_count;
    await sql.raw(`PRAGMA main.max_page_count = ${pages + 100}`).execute(db);
    const failed = await runSourcePull(deps, source(() => [items('a', 9000)]), 'full');
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatch(/database or disk is full/);
    expect(failed.error).not.toMatch(/rollback/);
    expect(await db.selectFrom('entity_version').select('key').execute()).toEqual([]);
    await sql`PRAGMA main.max_page_count = 1073741823`.execute(db);
    clock.advance(60_000);
    expect((await runSourcePull(deps, source(() => [items('a', 9000)]), 'full')).outcome).toBe('complete');
    expect(await db.selectFrom('entity_version').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).toEqual({ n: 9000 });
    await db.destroy();
  });

  it("finds SQLite's temporary folder as SQLite does, and none when no candidate is a writable folder", () => {
    const folder = mkdtempSync(join(tmpdir(), 'waba-sync-tmpdir-'));
    const file = join(folder, 'not-a-folder');
    writeFileSync(file, '');
    expect(sqliteTempDirectory({ SQLITE_TMPDIR: folder, TMPDIR: '/tmp' })).toBe(folder);
    expect(sqliteTempDirectory({ SQLITE_TMPDIR: file, TMPDIR: folder })).toBe(folder);
    expect(sqliteTempDirectory({ SQLITE_TMPDIR: join(folder, 'missing') }, [folder])).toBe(folder);
    expect(sqliteTempDirectory({ SQLITE_TMPDIR: file }, [join(folder, 'missing')])).toBeNull();
    rmSync(folder, { recursive: true, force: true });
  });
});
