/**
 * Text for a terminal or a plain-text email part: one line, no control characters (an ESC sequence
 * from upstream never reaches a terminal; a newline never breaks a layout), cut to CELL_MAX_CHARS.
 */
import { truncate } from './truncate.js';

/** C0 and C1 control characters and the Unicode line/paragraph separators: never shown as they are. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's purpose.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function plainText(value: string): string {
  return truncate(value.replace(CONTROL_CHARACTERS, ' '));
}
