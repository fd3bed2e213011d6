import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_MEMORY_FLAGS } from '../src/node-flags.js';
import { VERSION } from '../src/version.js';
import { npmRun } from './helpers/cli.js';
import { digital99Harness } from './helpers/digital99.js';
import { tempDir } from './helpers/temp.js';
import { until } from './helpers/wait.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };

/** `npx waba-sync …` in this checkout, as the README tells a user to run it. */
function npx(args: string[], cwd = process.cwd()) {
  return spawnSync('npx', ['--no-install', 'waba-sync', ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8', timeout: 60_000 });
}

/** The processes of a process group (Linux /proc): pid and command line. */
function processesOfGroup(pgid: number): { pid: number; line: string }[] {
  const found: { pid: number; line: string }[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) found.push({ pid: Number(pid), line: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function commandLinesOfGroup(pgid: number): string[] {
  return processesOfGroup(pgid).map((process) => process.line);
}

const withMemoryFlags = (line: string) => NODE_MEMORY_FLAGS.every((flag) => line.includes(flag));

describe('the waba-sync command (package.json bin)', () => {
  it('is the compiled command line, started by node through its shebang', () => {
    expect(manifest.bin).toEqual({ 'waba-sync': 'dist/src/cli.js' });
    expect(readFileSync(manifest.bin['waba-sync']!, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    // Executable as built: npx only sets the mode when it links the bin into a fresh cache, so a
    // build that left it 0644 ran once and then failed ("Permission denied", 127) on a cached link.
    expect(statSync(manifest.bin['waba-sync']!).mode & 0o111).toBe(0o111);
  });

  it('npx waba-sync --version prints the version; --help is the same command line as npm run cli', () => {
    const version = npx(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toBe(`${manifest.version}\n`);
    expect(VERSION).toBe(manifest.version);
    const help = npx(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(npmRun('cli', ['--help'], {}).stdout);
  });

  it('runs the command under the memory flags of npm run cli, with its standard input and exit code', async () => {
    // resolve-token - reads the token from standard input first: the process waits there, long
    // enough to look at it; then, with Meta not configured, it exits 2.
    const child = spawn('npx', ['--no-install', 'waba-sync', 'resolve-token', '-'], {
      detached: true,
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: `${tempDir()}/unused.sqlite` },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const command = (line: string) => line.includes('dist/src/cli.js resolve-token -');
    await until(() => commandLinesOfGroup(child.pid!).some((line) => command(line) && withMemoryFlags(line)), 'the command running under the memory flags');
    child.stdin!.end('a-token\n');
    expect(await exited).toBe(2);
    expect(stderr).toContain('resolve-token: the meta source is not enabled');
  });

  it('Ctrl-C (SIGINT to the whole process group, reaching the command twice) stops the pull cleanly', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    await h.sync();
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 60_000 });
    const child = spawn('npx', ['--no-install', 'waba-sync', 'sync'], {
      detached: true,
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...h.env, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await until(() => h.world.calls.getWhatsApp === 2, 'the pull waiting on the numbers list');
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    await until(() => processesOfGroup(child.pid!).length === 0, 'every process of the command to end');
    // Stopped as asked (not killed mid-way, which would leave the run 'running').
    const last = await h.app.db.selectFrom('sync_run').select(['outcome', 'error_code']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(last).toEqual({ outcome: 'failed', error_code: 'ABORTED' });
  });

  it('killed outright, it takes the command with it: the pull stops as on SIGTERM, nothing runs on orphaned', async () => {
    const h = await digital99Harness();
    h.world.addOnboarding();
    await h.sync();
    h.world.inject({ kind: 'latency', call: 'getWhatsApp', ms: 60_000 });
    const child = spawn('npx', ['--no-install', 'waba-sync', 'sync'], {
      detached: true,
      cwd: process.cwd(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...h.env, LOG_LEVEL: 'silent' },
      stdio: 'ignore',
    });
    try {
      await until(() => h.world.calls.getWhatsApp === 2, 'the pull waiting on the numbers list');
      // node on the bin (npx links it from its cache), and node with the flags on the compiled CLI.
      const launcher = processesOfGroup(child.pid!).find((p) => /^\S*node \S*(\/\.bin\/waba-sync|\/dist\/src\/cli\.js) sync $/.test(p.line))!;
      const relaunched = processesOfGroup(child.pid!).find((p) => p.line.includes('dist/src/cli.js sync') && withMemoryFlags(p.line))!;
      expect(launcher).toBeDefined();
      expect(relaunched).toBeDefined();
      process.kill(launcher.pid, 'SIGKILL');
      await until(() => !processesOfGroup(child.pid!).some((p) => p.pid === relaunched.pid), 'the relaunched command to end');
      const last = await h.app.db.selectFrom('sync_run').select(['outcome', 'error_code']).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(last).toEqual({ outcome: 'failed', error_code: 'ABORTED' });
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    }
  });
});
