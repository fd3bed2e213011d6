/**
 * A page's entities with their canonical text and content hash already computed — by a page
 * reader (page-thread.ts), away from the thread that talks to the network and the database. The
 * stager then only looks each key up in the snapshot and queues what changed.
 *
 * The form crosses a thread boundary, so it is a few flat values rather than an object per row:
 * the keys, every row's hash in one string (HASH_LENGTH characters each) and every row's text in
 * one string with the end of each — one string copied per page instead of two per row, and the
 * row's text sliced out (V8 slices without copying) only for the rows that changed.
 */
import { HASH_LENGTH, canonicalJson, contentHash } from '../diff/canonical.js';
import type { PreparedEntity } from '../sync/types.js';

export interface PreparedRows {
  readonly keys: readonly string[];
  /** The rows' content hashes, concatenated in row order. */
  readonly hashes: string;
  /** The rows' canonical texts, concatenated in row order. */
  readonly texts: string;
  /** Where each row's text ends in `texts`. */
  readonly ends: Uint32Array;
}

/** Builds PreparedRows one record at a time (where the page is read). */
export class PreparedRowsBuilder {
  private readonly keys: string[] = [];
  private readonly hashes: string[] = [];
  private readonly texts: string[] = [];
  private readonly ends: number[] = [];
  private length = 0;

  add(key: string, record: unknown): void {
    const text = canonicalJson(record);
    this.keys.push(key);
    this.hashes.push(contentHash(text));
    this.texts.push(text);
    this.length += text.length;
    this.ends.push(this.length);
  }

  /** Rows added so far. */
  get size(): number {
    return this.keys.length;
  }

  build(): PreparedRows {
    return { keys: this.keys, hashes: this.hashes.join(''), texts: this.texts.join(''), ends: Uint32Array.from(this.ends) };
  }
}

/** Row `index` as the stager takes it. */
export function preparedEntity(rows: PreparedRows, index: number): PreparedEntity {
  const start = index === 0 ? 0 : rows.ends[index - 1]!;
  return {
    key: rows.keys[index]!,
    text: rows.texts.slice(start, rows.ends[index]),
    hash: rows.hashes.slice(index * HASH_LENGTH, (index + 1) * HASH_LENGTH),
  };
}
