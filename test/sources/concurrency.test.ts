import { describe, expect, it } from 'vitest';
import { forEachConcurrent, mapConcurrent } from '../../src/sources/concurrency.js';

/** A promise settled from outside, so the test decides the order things finish in. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapConcurrent', () => {
  it('runs at most N at a time and keeps the input order', async () => {
    const gates = Array.from({ length: 5 }, () => deferred<void>());
    const started: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4], 2, new AbortController().signal, async (i) => {
      started.push(i);
      await gates[i]!.promise;
      return i * 10;
    });
    await tick();
    expect(started).toEqual([0, 1]);
    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await run).toEqual([0, 10, 20, 30, 40]);
  });

  it('throws the first failure, aborts the calls in flight and starts no more', async () => {
    const gates = Array.from({ length: 5 }, () => deferred<void>());
    const started: number[] = [];
    const aborted: number[] = [];
    const run = mapConcurrent([0, 1, 2, 3, 4], 2, new AbortController().signal, async (i, signal) => {
      started.push(i);
      signal.addEventListener('abort', () => {
        aborted.push(i);
        gates[i]!.reject(new Error(`aborted ${i}`));
      });
      await gates[i]!.promise;
      return i;
    });
    await tick();
    gates[1]!.reject(new Error('HTTP 401'));

    await expect(run).rejects.toThrow('HTTP 401');
    expect(started).toEqual([0, 1]);
    expect(aborted).toContain(0); // the call still running was told to stop
  });

  it('passes an outer abort on to the calls in flight', async () => {
    const outer = new AbortController();
    const run = mapConcurrent([0, 1], 2, outer.signal, (_i, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))));
    await tick();
    outer.abort();
    await expect(run).rejects.toThrow('aborted');
  });
});

describe('forEachConcurrent', () => {
  it('takes a count from an upstream without allocating per index: a failure stops it at once', async () => {
    const started: number[] = [];
    const run = forEachConcurrent(Number.MAX_SAFE_INTEGER, 2, new AbortController().signal, async (index) => {
      started.push(index);
      if (index === 3) throw new Error('stop');
    });
    await expect(run).rejects.toThrow('stop');
    // Up to index 3, and at most what the other worker had started meanwhile.
    expect(started.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(started.length).toBeLessThanOrEqual(4 + 1);
  });
});
