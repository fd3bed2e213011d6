/**
 * This build's version (package.json's) and the database schema it was written for (its newest
 * migration). package.json is found by walking up from this file, so the answer is the same from
 * the sources (tests), from dist/ and from an installed package.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readPackageVersion(): string {
  for (let folder = dirname(fileURLToPath(import.meta.url)); ; folder = dirname(folder)) {
    const file = join(folder, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'waba-sync' && manifest.version) return manifest.version;
    }
    if (dirname(folder) === folder) return 'unknown';
  }
}

export const VERSION: string = readPackageVersion();
