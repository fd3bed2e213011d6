/**
 * Debian's Chromium for browser tests, driven by playwright-core (no browser download, ever):
 * CHROMIUM_PATH, else the usual Debian paths. null when none is installed — browser tests then
 * skip; CI installs the `chromium` package first (.ci/run), so there they always run.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export function chromiumPath(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'];
  return candidates.find((path): path is string => !!path && existsSync(path)) ?? null;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium found: apt-get install chromium, or set CHROMIUM_PATH');
  // --no-sandbox: test containers often run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}
