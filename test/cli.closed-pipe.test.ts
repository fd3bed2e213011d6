import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { maskDatabaseUrl } from '../db/url.js';
import type { Env } from '../src/config.js';
import { digital99Harness } from './helpers/digital99.js';

/** Runs the real entry point with its output read up to the first line, then the pipe closed (`| head -1`). */
async function firstLineThenClose(args: string[], env: Env) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  let firstLine = '';
  child.stdout.on('data', (chunk) => {
    firstLine += String(chunk);
    if (firstLine.includes('\n')) child.stdout.destroy();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, firstLine: firstLine.split('\n')[0], stderr };
}

describe('the command line on a closed pipe', () => {
  it('`events | head -1` with far more output than a pipe holds: exits 0 quietly', async () => {
    const h = await digital99Harness();
    await h.sync();
    for (let i = 0; i < 2_500; i++) h.world.addOnboarding();
    expect((await h.sync()).events).toBe(2_500); // ≈ 1 MB of event lines, beyond any pipe buffer
    const run = await firstLineThenClose(['events', '--json'], h.env);
    expect(JSON.parse(run.firstLine!).type).toBe('sync.baseline');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('`status | head -1`: exits 0 quietly', async () => {
    const h = await digital99Harness();
    await h.sync();
    const run = await firstLineThenClose(['status'], h.env);
    expect(run.firstLine).toBe(`Database: ${maskDatabaseUrl(h.dbPath)}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
