/**
 * Tests that run the real npm scripts (`npm start`, `npm run sync`, `npm run cli`) run the compiled
 * build, as production does; compile it once before any test so they never run a stale `dist/`.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

export default function buildOnce(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
