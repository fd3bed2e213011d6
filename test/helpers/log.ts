/** A real pino logger whose lines are kept in memory, so tests can read what was logged. */
import { Writable } from 'node:stream';
import { type Logger, createLogger } from '../../src/log.js';

export interface CapturedLog {
  log: Logger;
  lines: string[];
  text(): string;
}

export function captureLog(level = 'debug'): CapturedLog {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines, text: () => lines.join('\n') };
}
