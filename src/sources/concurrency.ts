/**
 * At most `concurrency` calls of `fn` at a time, results in input order. The first failure stops
 * new calls, aborts the ones in flight (through the signal handed to `fn`) and is what is thrown;
 * their own abort errors are ignored. Small enough to keep here rather than add a dependency.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  await forEachConcurrent(items.length, concurrency, signal, async (index, inner) => {
    results[index] = await fn(items[index]!, inner);
  });
  return results;
}

/**
 * `fn(0)` … `fn(count − 1)`, at most `concurrency` at a time, with the same failure rule as
 * `mapConcurrent`; nothing is allocated per index, so `count` may come from an upstream.
 */
export async function forEachConcurrent(
  count: number,
  concurrency: number,
  signal: AbortSignal,
  fn: (index: number, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });

  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < count) {
      const index = next++;
      try {
        await fn(index, controller.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          controller.abort();
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  } finally {
    signal.removeEventListener('abort', forward);
  }
  if (failure !== undefined) throw failure.error;
}
