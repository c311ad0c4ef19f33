/**
 * Headless Chromium for the UI tests, through playwright-core (which downloads no browser). The
 * browser is Debian's `chromium` package in CI (.ci/run installs it); a Playwright-managed one works
 * too. Tests skip when none is found, except in CI, where a missing browser fails them.
 */
import { test } from '@jest/globals';
import { chromium, type Browser } from 'playwright-core';
import { isExecutable } from '../../scripts/lib/temporal-cli.js';

export interface ChromiumLookup {
  /** The executable to launch; absent when none was found. */
  path?: string;
  /** Where we looked (or why $CHROMIUM_PATH was rejected), for the skip/failure message. */
  searched: string[];
}

/** $CHROMIUM_PATH, then Debian's /usr/bin/chromium, /usr/bin/chromium-browser, then Playwright's cache. */
export function findChromium(): ChromiumLookup {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    return isExecutable(fromEnv)
      ? { path: fromEnv, searched: [fromEnv] }
      : { searched: [`$CHROMIUM_PATH=${fromEnv} (not an executable file)`] };
  }
  const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
  try {
    // Where `npx playwright install chromium` would have put it (honours PLAYWRIGHT_BROWSERS_PATH).
    candidates.push(chromium.executablePath());
  } catch {
    // No Playwright browser registry entry for this platform.
  }
  return { path: candidates.find(isExecutable), searched: candidates };
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Root (CI containers) needs --no-sandbox; /dev/shm is often tiny in containers; no GPU here.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 60_000,
  });
}

/**
 * Chromium's path for a UI test file, or undefined after registering what stands in for its tests:
 * in CI a failing test (a missing browser must not pass silently), elsewhere a skipped one that says
 * how to install it. Call inside `describe`; return when it gives undefined.
 */
export function chromiumOrSkip(file: string, what: string): string | undefined {
  const lookup = findChromium();
  if (lookup.path) return lookup.path;
  const why =
    `no Chromium executable found (looked at ${lookup.searched.join(', ')}); install Debian's ` +
    '`chromium` package (apt-get install --no-install-recommends chromium) or set CHROMIUM_PATH';
  if (process.env.CI && !['false', '0'].includes(process.env.CI)) {
    test('Chromium is installed (required in CI, so the UI test cannot be skipped silently)', () => {
      throw new Error(why);
    });
  } else {
    console.warn(`${file} skipped: ${why}`);
    test.skip(`${what} (skipped: ${why})`, () => undefined);
  }
  return undefined;
}
