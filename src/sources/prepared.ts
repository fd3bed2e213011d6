/**
 * A page's entities with their canonical text and content hash already computed — by a page
 * reader (page-thread.ts), away from the thread that talks to the network and the database. The
 * stager then only looks each key up in the snapshot and queues what changed.
 *
 * The form crosses a thread boundary, so it is three arrays of strings rather than an object per
 * row. Each text and hash arrives as a string of its own: a row kept (queued for writing, its hash
 * kept for the snapshot cache) then holds only itself, not the page it came with.
 */
import { canonicalJson, contentHash } from '../diff/canonical.js';
import type { PreparedEntity } from '../sync/types.js';

export interface PreparedRows {
  readonly keys: readonly string[];
  /** contentHash of each row's text, in row order. */
  readonly hashes: readonly string[];
  /** canonicalJson of each row's record, in row order. */
  readonly texts: readonly string[];
}

/** Builds PreparedRows one record at a time (where the page is read). */
export class PreparedRowsBuilder {
  private readonly keys: string[] = [];
  private readonly hashes: string[] = [];
  private readonly texts: string[] = [];

  add(key: string, record: unknown): void {
    const text = canonicalJson(record);
    this.keys.push(key);
    this.hashes.push(contentHash(text));
    this.texts.push(text);
  }

  /** Rows added so far. */
  get size(): number {
    return this.keys.length;
  }

  build(): PreparedRows {
    return { keys: this.keys, hashes: this.hashes, texts: this.texts };
  }
}

/** Rows `from` up to `to` as the stager takes them. */
export function preparedEntities(rows: PreparedRows, from = 0, to = rows.keys.length): PreparedEntity[] {
  const entities: PreparedEntity[] = [];
  for (let index = from; index < to; index++) entities.push({ key: rows.keys[index]!, text: rows.texts[index]!, hash: rows.hashes[index]! });
  return entities;
}
