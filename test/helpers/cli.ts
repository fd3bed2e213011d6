/** Runs the command line in-process with captured output, or as the real npm script in a child. */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { runCli } from '../../src/cli.js';
import type { Clock } from '../../src/clock.js';
import type { Env } from '../../src/config.js';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { tempDir } from './temp.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collector(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

export async function cli(argv: string[], env: Env, options: { cwd?: string; clock?: Clock; log?: Logger } = {}): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const code = await runCli(argv, { env, cwd: options.cwd ?? tempDir(), stdout, stderr, clock: options.clock, log: options.log ?? silentLogger });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The real thing: `npm run --silent <script> -- args` in a child process. */
export function npmRun(script: string, args: string[], env: Env, cwd = process.cwd()): CliRun {
  const result = spawnSync('npm', ['run', '--silent', script, '--', ...args], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
