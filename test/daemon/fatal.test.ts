import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { digital99Harness } from '../helpers/digital99.js';
import { until } from '../helpers/wait.js';

/** The real daemon entry point with a fault preloaded that fires on SIGUSR2. */
async function daemonWithFault(fault: 'throw' | 'reject') {
  const h = await digital99Harness();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/daemon/fixtures/fault-on-sigusr2.ts', 'src/daemon.ts'], {
    env: { ...process.env, ...h.env, FAULT: fault, HTTP_PORT: '0', SYNC_CRON: '0 0 1 1 *', FULL_SYNC_CRON: '0 0 1 1 *', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(() => stderr.includes('health and metrics on'), 'the daemon to start');
  child.kill('SIGUSR2');
  const code = await exited;
  const fatal = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; error?: string; stack?: string })
    .find((line) => line.level === 60);
  return { code, fatal };
}

describe('the daemon after an error nothing caught', () => {
  it.each(['throw', 'reject'] as const)('%s: logs it with its cause and exits 70 so its supervisor restarts it', async (fault) => {
    const { code, fatal } = await daemonWithFault(fault);
    expect(code).toBe(70);
    expect(fatal?.msg).toMatch(fault === 'throw' ? /^uncaught exception/ : /^unhandled rejection/);
    expect(fatal?.error).toBe('Error: injected fault ← Error: the root cause');
    expect(fatal?.stack).toContain('fault-on-sigusr2.ts');
  });
});
