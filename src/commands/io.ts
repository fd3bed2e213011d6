/** What a command needs from the outside world, injected so commands run in tests in-process. */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Env } from '../config.js';
import type { Logger } from '../log.js';
import { inertJson, stripControlChars } from '../render/plain-text.js';

export interface CliIo {
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** For secrets given as "-" (read from standard input rather than the command line). */
  readonly stdin?: NodeJS.ReadableStream;
  readonly clock?: Clock;
  /** Overrides the logger built from LOG_LEVEL (tests capture lines here). */
  readonly log?: Logger;
  readonly signal?: AbortSignal;
}

/**
 * Every line a command prints goes through here, so upstream text (names, error messages) never
 * reaches the terminal with escape sequences or other control characters; newlines stay.
 */
export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${stripControlChars(text, { keepNewlines: true })}\n`);
}

/** A value as one JSON line: nothing in it a terminal acts on, and exactly the value (`inertJson`). */
export function writeJsonLine(stream: NodeJS.WritableStream, value: unknown): void {
  stream.write(`${inertJson(JSON.stringify(value))}\n`);
}

/**
 * A folder a command writes into, made before any work: one it can't make or write to (a file of
 * that name, no permission) is a usage error naming the option, not a system error after the work.
 */
export function outputFolder(option: string, dir: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`${option}: cannot write to ${JSON.stringify(dir)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return dir;
}
