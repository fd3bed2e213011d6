/**
 * Opening the database: what we create is private, a path that can't be a database fails at once
 * naming DATABASE_URL and the path, and start-up waits for (rather than needs) another writer's lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/database.js';
import { openApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { digital99Harness } from '../helpers/digital99.js';
import { tempDir } from '../helpers/temp.js';

/**
 * The CLI through its real entry point in a child. `asNobody`: without root's power to write any
 * file (a read-only file must stay read-only). Root keeps its uid but loses the capabilities that
 * override file permissions (setpriv), so it still reads the checkout wherever CI cloned it (a
 * folder only root may enter); without setpriv it runs as nobody.
 */
function cliChild(args: string[], env: Record<string, string>, options: { asNobody?: boolean } = {}) {
  const asRoot = options.asNobody && process.getuid?.() === 0;
  const setpriv = asRoot ? ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path)) : undefined;
  const node = [process.execPath, '--import', 'tsx', 'src/cli.ts', ...args];
  const [command, ...commandArgs] = setpriv ? [setpriv, '--bounding-set=-dac_override,-dac_read_search', '--', ...node] : node;
  const result = spawnSync(command!, commandArgs, {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 20_000,
    ...(asRoot && !setpriv ? { uid: 65534, gid: 65534 } : {}),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('opening the database', () => {
  it('an impossible DATABASE_URL fails at once with exit 2, naming the variable and the path', () => {
    const run = cliChild(['status'], { DATABASE_URL: '/proc/nope/x.sqlite' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('DATABASE_URL');
    expect(run.stderr).toContain('/proc/nope/x.sqlite');
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  it('the daemon too: exit 2 with the message, no stack trace', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/daemon.ts'], {
      env: { PATH: process.env.PATH, DATABASE_URL: '/proc/nope/x.sqlite', DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret', HTTP_PORT: '0' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL: the SQLite database /proc/nope/x.sqlite');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('a file that is not a database fails with exit 1, naming the variable and the path', () => {
    const path = join(tempDir(), 'garbage.sqlite');
    writeFileSync(path, Buffer.from('not a database, only garbage bytes\n'.repeat(200)));
    const run = cliChild(['status'], { DATABASE_URL: path });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`DATABASE_URL: the SQLite database ${path}`);
    expect(run.stderr).toContain('not a database');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a read-only database file fails clearly, naming the variable and the path', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const path = join(dir, 'readonly.sqlite');
    writeFileSync(path, ''); // an empty file is an empty database: starting needs to write its schema
    chmodSync(path, 0o444);
    if (process.getuid?.() === 0) chownSync(path, 0, 0);
    const run = cliChild(['status'], { DATABASE_URL: path }, { asNobody: true });
    expect([1, 2]).toContain(run.code);
    expect(run.stderr).toContain(`DATABASE_URL: the SQLite database ${path}`);
    expect(run.stderr).toMatch(/readonly|read-only|permission/i);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('an existing database made read-only: status still reads it; sync fails with exit 1 naming the variable and the path', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777); // the folder stays writable (SQLite's -shm): only the file is read-only
    const path = join(dir, 'db.sqlite');
    await (await openDatabase(path)).destroy();
    chmodSync(path, 0o444);
    const env = { DATABASE_URL: path, DIGITAL99_CLIENT_ID: 'id', DIGITAL99_CLIENT_SECRET: 'secret', DIGITAL99_API_URL: 'http://127.0.0.1:9/api' };
    expect(cliChild(['status'], env, { asNobody: true }).code).toBe(0);
    const sync = cliChild(['sync'], env, { asNobody: true });
    expect(sync.code).toBe(1);
    expect(sync.stderr).toContain(`DATABASE_URL: the SQLite database ${path}`);
    expect(sync.stderr).toContain('readonly');
  });

  it('creates the folder 0700 and the file, its -wal and -shm 0600; an existing folder keeps its mode', async () => {
    const base = tempDir();
    const path = join(base, 'new', 'deeper', 'waba.sqlite');
    const db = await openDatabase(path);
    await db.insertInto('app_setting').values({ name: 'probe', value: 'x' }).execute();
    expect(mode(join(base, 'new'))).toBe(0o700);
    expect(mode(join(base, 'new', 'deeper'))).toBe(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file)).toBe(0o600);
    await db.destroy();

    const shared = join(base, 'shared');
    mkdirSync(shared, { mode: 0o755 });
    chmodSync(shared, 0o755);
    await (await openDatabase(join(shared, 'db.sqlite'))).destroy();
    expect(mode(shared)).toBe(0o755);
    expect(mode(join(shared, 'db.sqlite'))).toBe(0o600);
  });

  it('start-up writes nothing once the database exists: it opens while another process holds the write lock', async () => {
    const h = await digital99Harness();
    const env = { ...h.env, DATABASE_BUSY_TIMEOUT_SECONDS: '0' };
    const writer = new SQLite(h.dbPath);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const app = await openApp(parseConfig(env), { log: silentLogger });
      await app.close();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('a one-shot sync waits for another process that holds the write lock for a few seconds', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    // Another process (not this one: its event loop must stay free to serve the simulator).
    const holder = spawn(
      process.execPath,
      ['-e', `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => db.exec('COMMIT'), 3000);`, h.dbPath],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const sync = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sync'], { env: { ...process.env, ...h.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    sync.stdout.on('data', (chunk) => (output += String(chunk)));
    sync.stderr.on('data', (chunk) => (output += String(chunk)));
    const code = await new Promise((resolve) => sync.once('exit', resolve));
    expect(output).not.toContain('database is locked');
    expect(code).toBe(0);
    expect(output).toMatch(/digital99\s+full\s+complete/);
  });
});

describe('a transaction SQLite ends itself', () => {
  it("fails with SQLite's reason (the disk is full), not with the rollback it had already done, and the connection goes on", async () => {
    const db = await openDatabase(join(tempDir(), 'full.sqlite'));
    // The temporary database may hold 1 MB: a full disk, as far as SQLite can tell. A one-row
    // insert keeps no statement journal to undo itself alone, so when it finds the disk full
    // SQLite rolls the whole transaction back.
    await sql`PRAGMA temp.max_page_count = 256`.execute(db);
    await sql`PRAGMA temp.cache_size = 16`.execute(db);
    const write = db.transaction().execute(async (trx) => {
      for (let i = 0; i < 9000; i++) {
        await trx.insertInto('pull_item').values({ run_id: 1, kind: 'item', key: String(i), data: 'x'.repeat(450), hash: 'h' }).execute();
      }
    });
    await expect(write).rejects.toThrow(/database or disk is full/);
    expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([]);
    await db.transaction().execute((trx) => trx.insertInto('pull_item').values({ run_id: 2, kind: 'item', key: 'after', data: '{}', hash: 'h' }).execute());
    expect(await db.selectFrom('pull_item').select('key').execute()).toEqual([{ key: 'after' }]);
    await db.destroy();
  });
});
