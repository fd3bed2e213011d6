/**
 * Tests that run the real npm scripts (`npm start`, `npm run sync`, `npm run cli`) run the compiled
 * build, as production does; compile it once before any test so they never run a stale `dist/`.
 * Through `npm run build` itself, so the tests see what a user's build makes (the bin's mode too).
 */
import { execFileSync } from 'node:child_process';

export default function buildOnce(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
