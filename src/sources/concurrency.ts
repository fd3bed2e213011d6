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
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });

  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, controller.signal);
      } catch (error) {
        if (failure === undefined) {
          failure = { error };
          controller.abort();
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  } finally {
    signal.removeEventListener('abort', forward);
  }
  if (failure !== undefined) throw failure.error;
  return results;
}
