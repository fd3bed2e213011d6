/**
 * Text for a terminal or a plain-text email part: one line, no control characters (an ESC sequence
 * from upstream never reaches a terminal; a newline never breaks a layout), cut to CELL_MAX_CHARS.
 */
import { truncate } from './truncate.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

export function plainText(value: string): string {
  return truncate(value.replace(CONTROL, ' '));
}
