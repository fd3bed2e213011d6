import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SweepPage, SweepChecker, checkSweep, pageOffsets } from '../../../src/sources/dialog360/paging.js';

type Row = { id: string };
const row = (key: number): Row => ({ id: String(key).padStart(6, '0') });

describe('360dialog paging plan', () => {
  it('starts each page on the last row of the one before and reaches the end', () => {
    expect(pageOffsets(0, 10)).toEqual([0]);
    expect(pageOffsets(10, 10)).toEqual([0]);
    expect(pageOffsets(11, 10)).toEqual([0, 9]);
    expect(pageOffsets(95, 10)).toEqual([0, 9, 18, 27, 36, 45, 54, 63, 72, 81, 90]);
    fc.assert(
      fc.property(fc.nat(2000), fc.integer({ min: 2, max: 200 }), (total, limit) => {
        const offsets = pageOffsets(total, limit);
        expect(offsets[0]).toBe(0);
        for (const [i, offset] of offsets.slice(1).entries()) expect(offset).toBe(offsets[i]! + limit - 1);
        expect(offsets.at(-1)! + limit).toBeGreaterThanOrEqual(total);
        if (offsets.length > 1) expect(offsets.at(-2)! + limit).toBeLessThan(total);
      }),
    );
  });
});

describe('360dialog sweep check', () => {
  /**
   * A list sorted by a unique key changes (rows created anywhere, rows removed) while the pages of
   * one sweep are read in any order, each page a snapshot of the list at its own moment — what
   * concurrent offset paging against a live fleet amounts to. Whenever the check accepts a sweep,
   * no row that existed throughout is missing (it would be reported removed) and nothing is made up.
   */
  it('never accepts a sweep that misses a row present throughout', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), key: fc.nat(999) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }) }),
    );
    // Mostly nothing, sometimes one or two changes (a removal and a creation between two reads keep total).
    const change = fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(op, { minLength: 1, maxLength: 2 }) });
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(999), { maxLength: 60 }),
        fc.integer({ min: 2, max: 9 }),
        fc.array(change, { maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        (initial, limit, changes, order) => {
          let list = [...initial].sort((a, b) => a - b);
          const everExisted = new Set(list);
          const deleted = new Set<number>();
          const read = (offset: number): SweepPage<Row> => ({ offset, total: list.length, items: list.slice(offset, offset + limit).map(row) });
          const applyChange = (index: number) => {
            for (const c of changes[index] ?? []) applyOne(c);
          };
          const applyOne = (c: { kind: 'insert'; key: number } | { kind: 'delete'; at: number }) => {
            if (c.kind === 'insert' && !everExisted.has(c.key)) {
              everExisted.add(c.key);
              list = [...list, c.key].sort((a, b) => a - b);
            } else if (c.kind === 'delete' && list.length > 0) {
              const victim = list[Math.floor(c.at * list.length)]!;
              deleted.add(victim);
              list = list.filter((key) => key !== victim);
            }
          };

          const first = read(0);
          // The rest in any order (concurrency), the list changing before each read.
          const offsets = pageOffsets(first.total, limit).slice(1);
          const readOrder = offsets.map((offset, i) => ({ offset, weight: order[i % order.length]! })).sort((a, b) => a.weight - b.weight);
          const pages = new Map<number, SweepPage<Row>>([[0, first]]);
          readOrder.forEach(({ offset }, i) => {
            applyChange(i);
            pages.set(offset, read(offset));
          });

          const result = checkSweep([...pages.values()].sort((a, b) => a.offset - b.offset), limit);
          // Checked page by page in the order the pages were read (how the client streams them
          // into staging), the verdict is the same and the rows handed out are the sweep's rows.
          const checker = new SweepChecker<Row>(limit);
          const streamed = [first, ...readOrder.map(({ offset }) => pages.get(offset)!)].flatMap((page) => checker.add(page));
          const verdict = checker.verdict();
          expect(verdict.ok).toBe(result.ok);
          if (result.ok) {
            expect(verdict).toEqual({ ok: true, rows: result.items.length });
            expect(streamed.map((item) => item.id).sort()).toEqual(result.items.map((item) => item.id).sort());
          }
          const changedAtAll = changes.slice(0, offsets.length).some((c) => c.length > 0);
          if (!changedAtAll) expect(result).toEqual({ ok: true, items: initial.sort((a, b) => a - b).map(row) });
          if (!result.ok) return;
          const ids = result.items.map((item) => item.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (const key of initial) if (!deleted.has(key)) expect(ids).toContain(row(key).id);
          for (const id of ids) expect(everExisted.has(Number(id))).toBe(true);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('says why a sweep does not describe a single list', () => {
    const page = (offset: number, total: number, keys: number[]): SweepPage<Row> => ({ offset, total, items: keys.map(row) });
    expect(checkSweep([page(0, 5, [1, 2, 3]), page(2, 6, [3, 4, 5])], 3)).toEqual({ ok: false, reason: 'total changed from 5 to 6 (page at offset 2)' });
    expect(checkSweep([page(0, 5, [1, 2, 3]), page(2, 5, [4, 5, 6])], 3)).toMatchObject({ ok: false, reason: expect.stringContaining('starts with "000004", not with "000003"') });
    expect(checkSweep([page(0, 5, [1, 2, 3]), page(2, 5, [3, 4])], 3)).toMatchObject({ ok: false, reason: 'page at offset 2 has 2 rows, expected 3 of 5' });
    expect(checkSweep([page(0, 5, [1, 2, 3]), page(2, 5, [3, 1, 5])], 3)).toMatchObject({ ok: false, reason: expect.stringContaining('"000001" appears twice') });
    expect(checkSweep([page(0, 5, [1, 2, 3]), page(2, 5, [3, 4, 5])], 3)).toEqual({ ok: true, items: [1, 2, 3, 4, 5].map(row) });
  });
});
