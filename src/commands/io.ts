/** What a command needs from the outside world, injected so commands run in tests in-process. */
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
