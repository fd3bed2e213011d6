/**
 * An in-memory index of every current entity, for the console's search box and its cross-source
 * links: by key, by the digits of a phone number, by name, and by the registry's join values
 * (src/sources/registry.ts `joins`: a Meta WABA id a 360dialog channel names, a number's digits).
 *
 * Built from `entity_version` (valid_to null) and rebuilt when a pull has completed since: the
 * stamp is the newest complete run's id. The request that first sees a newer stamp waits for the
 * rebuild (others asking meanwhile wait for the same one): a search never misses what the last
 * pull stored. On the 100,000-WABA bench a rebuild takes seconds, once per pull.
 */
import type { Db } from '../../../db/database.js';
import type { Entity } from '../../diff/types.js';
import { presentEvent } from '../../sources/presentation.js';
import { UPSTREAMS, findUpstream } from '../../sources/registry.js';
import type { EntityPresentation } from '../../sources/upstream.js';

export interface IndexedEntity {
  readonly source: string;
  readonly kind: string;
  readonly key: string;
  readonly name: string | null;
  readonly label: string | null;
  readonly number: string | null;
  readonly owner: string | null;
  /** `join:value` pairs this entity offers (registry joins). */
  readonly joins: readonly string[];
}

export interface CurrentIndex {
  readonly entities: number;
  byKey(key: string): IndexedEntity[];
  byDigits(digits: string): IndexedEntity[];
  byJoin(join: string, value: string): IndexedEntity[];
  /** Entities whose name, label or owner contains `text` (case-insensitive), at most `limit`. */
  byName(text: string, limit: number): IndexedEntity[];
  /** Entities whose digits end with `digits` (a number written without its country code), at most `limit`. */
  byDigitsSuffix(digits: string, limit: number): IndexedEntity[];
}

/** The digits of a phone number however it is written: "+972 50-123 4567" → "972501234567". */
export function phoneDigits(text: string): string {
  return text.replace(/\D/g, '');
}

/** Text that reads as a phone number: digits with the usual separators, at least 6 digits. */
export function looksLikePhone(text: string): boolean {
  return /^[+\d\s().-]+$/.test(text) && phoneDigits(text).length >= 6;
}

export function presentEntity(source: string, kind: string, entity: Entity): EntityPresentation {
  const presenter = findUpstream(source)?.presenters[kind];
  return presenter ? presenter(entity) : presentEvent({ source, type: '', before: null, after: entity });
}

/** The join values an entity offers under its source's registry joins. */
export function joinValuesOf(source: string, kind: string, key: string, entity: Entity): string[] {
  const values = new Set<string>();
  for (const offer of findUpstream(source)?.joins ?? []) {
    if (offer.kind !== kind) continue;
    for (const value of offer.values(key, entity)) if (value) values.add(`${offer.join}:${value}`);
  }
  return [...values];
}

function push<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export async function buildCurrentIndex(db: Db): Promise<CurrentIndex> {
  const keys = new Map<string, IndexedEntity[]>();
  const digits = new Map<string, IndexedEntity[]>();
  const joins = new Map<string, IndexedEntity[]>();
  const names: { text: string; entity: IndexedEntity }[] = [];
  let count = 0;
  for (const upstream of UPSTREAMS) {
    for (const { kind } of upstream.kinds) {
      // Page by key so that a large fleet is never one giant result in memory.
      let after = '';
      for (;;) {
        const rows = await db
          .selectFrom('entity_version')
          .select(['key', 'data'])
          .where('source', '=', upstream.name)
          .where('kind', '=', kind)
          .where('valid_to', 'is', null)
          .where('key', '>', after)
          .orderBy('key')
          .limit(5_000)
          .execute();
        for (const row of rows) {
          const data = JSON.parse(row.data) as Entity;
          const shown = presentEntity(upstream.name, kind, data);
          const entity: IndexedEntity = {
            source: upstream.name,
            kind,
            key: row.key,
            name: shown.name,
            label: shown.label,
            number: shown.number,
            owner: shown.owner,
            joins: joinValuesOf(upstream.name, kind, row.key, data),
          };
          count++;
          push(keys, row.key.toLowerCase(), entity);
          const numberDigits = new Set<string>();
          if (shown.number) numberDigits.add(phoneDigits(shown.number));
          if (looksLikePhone(row.key)) numberDigits.add(phoneDigits(row.key));
          for (const join of entity.joins) {
            push(joins, join, entity);
            if (join.startsWith('phone_number:')) numberDigits.add(phoneDigits(join.slice('phone_number:'.length)));
          }
          for (const d of numberDigits) if (d.length >= 6) push(digits, d, entity);
          const text = [shown.name, shown.label, shown.owner].filter(Boolean).join('\n').toLowerCase();
          if (text) names.push({ text, entity });
        }
        if (rows.length < 5_000) break;
        after = rows.at(-1)!.key;
      }
    }
  }
  return {
    entities: count,
    byKey: (key) => keys.get(key.toLowerCase()) ?? [],
    byDigits: (d) => digits.get(d) ?? [],
    byJoin: (join, value) => joins.get(`${join}:${value}`) ?? [],
    byName(text, limit) {
      const needle = text.toLowerCase();
      const found: IndexedEntity[] = [];
      for (const entry of names) {
        if (entry.text.includes(needle)) found.push(entry.entity);
        if (found.length >= limit) break;
      }
      return found;
    },
    byDigitsSuffix(suffix, limit) {
      const found: IndexedEntity[] = [];
      for (const [d, list] of digits) {
        if (d.endsWith(suffix)) found.push(...list);
        if (found.length >= limit) break;
      }
      return found.slice(0, limit);
    },
  };
}

/** Keeps one CurrentIndex fresh: rebuilt when a pull has completed since it was built. */
export class CurrentIndexCache {
  #index: CurrentIndex | null = null;
  #stamp: string | null = null;
  #building: { stamp: string; index: Promise<CurrentIndex> } | null = null;
  constructor(private readonly db: Db) {}

  async get(): Promise<CurrentIndex> {
    // The newest completion: a run that started earlier but finished later moves it too.
    const row = await this.db
      .selectFrom('sync_run')
      .select((eb) => [eb.fn.max('id').as('id'), eb.fn.max('finished_at').as('finished')])
      .where('outcome', '=', 'complete')
      .executeTakeFirst();
    const stamp = `${row?.id ?? 0}|${row?.finished ?? ''}`;
    if (this.#index && stamp === this.#stamp) return this.#index;
    if (this.#building?.stamp !== stamp) {
      const building = {
        stamp,
        index: buildCurrentIndex(this.db).then((index) => {
          this.#index = index;
          this.#stamp = stamp;
          return index;
        }),
      };
      building.index.finally(() => {
        if (this.#building === building) this.#building = null;
      }).catch(() => {});
      this.#building = building;
    }
    return this.#building.index;
  }
}
