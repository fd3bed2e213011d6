/**
 * Text from outside (upstream names and error messages, SMTP replies, the ledger's stored errors)
 * made safe to print on a terminal or put in a plain-text email: an ESC sequence in a Graph error
 * message must not recolour, move the cursor or retitle the operator's terminal, a bidi override
 * must not make a line read differently from what it holds, and a newline must not break a layout.
 */
import { truncate } from './truncate.js';

// biome-ignore-start lint/suspicious/noControlCharactersInRegex: matching control characters is these regexes' purpose.
/** Escape sequences removed whole (so no "[31m" is left behind): CSI (7- and 8-bit), OSC, and two-byte ESC sequences. */
const ESCAPE_SEQUENCES = /\u001b\[[0-?]*[ -/]*[@-~]?|\u009b[0-?]*[ -/]*[@-~]?|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[ -~]?/g;
/** Unicode bidi embeddings, overrides and isolates: invisible, and they reorder what follows. */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
/** C0 and C1 controls and the Unicode line and paragraph separators. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;
// biome-ignore-end lint/suspicious/noControlCharactersInRegex: -

/**
 * Removes escape sequences and bidi controls, and turns every other control character (tab and
 * carriage return included) into a space. With `keepNewlines`, "\n" stays, for text printed as
 * several lines; otherwise the result is one line. Nothing is cut.
 */
export function stripControlChars(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text
    .replace(ESCAPE_SEQUENCES, '')
    .replace(BIDI_CONTROLS, '')
    .replace(options.keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, ' ');
}

/** One upstream value for a terminal or a plain-text email part: one clean line, cut to CELL_MAX_CHARS. */
export function plainText(value: string): string {
  return truncate(stripControlChars(value));
}

/**
 * What JSON.stringify leaves raw that a terminal or a line-by-line reader acts on: DEL and the C1
 * controls (U+009B opens an escape sequence), the line and paragraph separators, bidi marks,
 * embeddings, overrides and isolates (Hebrew names carry them). In JSON they stand only inside
 * strings, where `\uXXXX` means the same character.
 */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text with those characters written as `\uXXXX`: safe to print as it is (never through
 * `stripControlChars`, which would change the data and could break the JSON), and it parses to
 * exactly the same value.
 */
export function inertJson(json: string): string {
  return json.replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
