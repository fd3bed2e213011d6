import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { tempSqlitePath } from './helpers/temp.js';
import { until } from './helpers/wait.js';

/** The daemon's start-up lines on stderr (a pipe, not a terminal), then SIGTERM. */
async function daemonLines(env: Record<string, string>): Promise<string[]> {
  const child = spawn(process.execPath, ['dist/src/daemon.js'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: tempSqlitePath(),
      HTTP_PORT: '0',
      LOG_LEVEL: 'info',
      // Enabled (the daemon needs a source), never reached: the schedule is far away.
      DIGITAL99_CLIENT_ID: 'id',
      DIGITAL99_CLIENT_SECRET: 'secret',
      DIGITAL99_API_URL: 'http://127.0.0.1:9/api',
      SYNC_CRON: '0 0 1 1 *',
      FULL_SYNC_CRON: '0 0 1 1 *',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await until(() => stderr.includes('scheduled sync-full'), 'the daemon scheduling its jobs');
  child.kill('SIGTERM');
  await exited;
  return stderr.trim().split('\n');
}

describe('LOG_FORMAT', () => {
  it('json by default when stderr is not a terminal: one object a line with level, time, pid, msg', async () => {
    const lines = await daemonLines({});
    const opened = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'database opened');
    expect(opened).toMatchObject({ level: 30, pid: expect.any(Number), backend: 'sqlite', msg: 'database opened' });
    expect(opened.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('pretty: human lines even to a pipe', async () => {
    const lines = await daemonLines({ LOG_FORMAT: 'pretty' });
    const opened = lines.find((line) => line.includes('database opened'))!;
    expect(opened).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO/);
    expect(() => JSON.parse(opened)).toThrow();
  });

  it('accepts json or pretty only', () => {
    expect(parseConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(parseConfig({}).logFormat).toBeNull();
    expect(() => parseConfig({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT: expected one of json, pretty, got "xml"');
  });
});
