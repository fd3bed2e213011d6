/**
 * Report tests on top of the 99digital harness: pulls at chosen instants (the harness clock is
 * shared by the app and the simulator) and the `report` command run in-process.
 */
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli.js';
import type { Env } from '../../src/config.js';
import type { RunResult } from '../../src/sync/run-source.js';
import { type Digital99Harness, digital99Harness } from './digital99.js';

export const TZ = 'Asia/Jerusalem';

export async function reportHarness(env: Env = {}): Promise<Digital99Harness> {
  return digital99Harness({ timezone: TZ, env: { TIMEZONE: TZ, ...env } });
}

/** One pull whose ledger start time is exactly `iso` (the harness moves the clock a minute first). */
export async function pullAt(h: Digital99Harness, iso: string): Promise<RunResult> {
  h.clock.set(new Date(Date.parse(iso) - 60_000));
  const result = await h.sync();
  return result;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run cli -- <args>` in-process, at the harness clock's time, with the harness's settings. */
export async function cli(h: Digital99Harness, args: string[], env: Env = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await runCli(args, {
    env: { ...h.env, ...env },
    cwd: process.cwd(),
    stdout: sink((text) => (stdout += text)),
    stderr: sink((text) => (stderr += text)),
    clock: h.clock,
    log: h.logs.log,
  });
  return { code, stdout, stderr };
}
