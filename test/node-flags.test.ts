import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_MEMORY_FLAGS } from '../src/node-flags.js';

const scripts = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('memory flags of the syncing processes', () => {
  it.each(['start', 'sync', 'cli'])('npm run %s starts node with them (the bench worker uses the same list)', (script) => {
    for (const flag of NODE_MEMORY_FLAGS) expect(scripts[script]).toContain(` ${flag} `);
  });

  it('this Node accepts them and limits the heap as they say', () => {
    const run = spawnSync(process.execPath, [...NODE_MEMORY_FLAGS, '-e', 'console.log(require("node:v8").getHeapStatistics().heap_size_limit)'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const limitMb = Number(run.stdout.trim()) / 1024 / 1024;
    expect(limitMb).toBeGreaterThanOrEqual(1536);
    expect(limitMb).toBeLessThan(2048);
  });
});
