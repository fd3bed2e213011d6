/**
 * Structured logs (pino) to stderr: one JSON object a line (LOG_FORMAT=json, the default unless
 * stderr is a terminal) or pino-pretty's lines (LOG_FORMAT=pretty, the default on a terminal).
 * Credentials are redacted by path as a second line of defence; the first is that no code logs them.
 */
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogFormat } from './config.js';
import type PinoPretty from 'pino-pretty';

export type { Logger };

const SECRET_KEYS = ['access_token', 'accessToken', 'client_secret', 'clientSecret', 'apiKey', 'api_key', 'token', 'authorization', 'password'];
export const REDACT_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
  ...SECRET_KEYS.map((key) => `*.*.${key}`),
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
];

export interface LoggerOptions {
  level: string;
  /** LOG_FORMAT; null or absent: pretty exactly when stderr is a terminal. */
  format?: LogFormat | null;
  /** Where lines go; default stderr. */
  destination?: DestinationStream;
  /** Pretty lines instead of JSON; default: when stderr is a terminal. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  const usePretty = options.pretty ?? (options.format ? options.format === 'pretty' : process.stderr.isTTY === true);
  if (usePretty) return pino(base, loadPretty()({ destination: 2, sync: true, ignore: 'pid,hostname' }));
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

/**
 * pino-pretty (and its dozen modules) only when a person watches a terminal: a service logs JSON,
 * and loading it there cost the daemon's and the bench worker's RSS a few MB for nothing.
 */
function loadPretty(): typeof PinoPretty {
  return createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
}

export const silentLogger: Logger = pino({ level: 'silent' });
