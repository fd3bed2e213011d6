/**
 * V8 memory flags our syncing processes start with: `npm start` (the daemon), `npm run sync` and
 * `npm run cli` (package.json passes the same list; a test keeps the two equal), the `waba-sync`
 * command (src/cli.ts runs itself again with them), deploy/'s systemd unit and Dockerfile (their
 * test compares them with `npm start`) and the bench's sync worker, so the benchmark measures what
 * production runs.
 *
 * Why: a pull's live heap is small (≈ 30 MB at 100,000 WABAs: pages stream through), but it
 * allocates fast (≈ 3 GB of short-lived objects per 100,000 WABAs: parsed pages, validated copies,
 * canonical JSON). With no heap limit set on a machine with plenty of memory, V8 lets the old
 * generation grow to 4× the live heap before a full collection, and keeps a 2 × 16 MB young
 * generation; the worker's RSS then peaked at ≈ 310 MB at scale 1 although ≈ 30 MB of it was
 * live. A 1.5 GB old-space limit (far above what any pull holds, ample for fleets ten times the
 * default) makes V8 choose a growth factor of ≈ 1.8 instead of 4; the price is more frequent
 * collections (measured: ≈ 40 instead of ≈ 15 full collections in a scale-1 Meta pull, ≈ 10 %
 * more CPU).
 *
 * The semi-space size holds for every isolate of the process — the main thread, the delivery
 * thread, the page thread — and overrides a worker's own `resourceLimits`: each young generation
 * is 2 × this. 4 MB (a quarter of V8's default) keeps the three threads' young generations at
 * 24 MB together: with 8 MB, the page thread put the bench's peak RSS at 260–264 MB; with 4 MB it
 * was 235–246 MB, Meta's and 360dialog's pages read on that thread, the pulls' wall times the
 * same within the runs' spread (docs/benchmark.md, "Memory: where the peak RSS goes").
 */
export const NODE_MEMORY_FLAGS: readonly string[] = ['--max-old-space-size=1536', '--max-semi-space-size=4'];
