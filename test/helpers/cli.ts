/** Runs the CLI in-process with a given environment and clock, capturing what it prints. */
import { Writable } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { runCli } from '../../src/cli.js';
import type { Env } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import { tempDir } from './temp.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(argv: string[], options: { env: Env; clock?: Clock; log?: Logger; cwd?: string }): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(String(chunk));
        done();
      },
    });
  const code = await runCli(argv, {
    env: options.env,
    cwd: options.cwd ?? tempDir(),
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    clock: options.clock,
    log: options.log,
  });
  return { code, stdout, stderr };
}
