// Jest runs in its native ESM mode (node --experimental-vm-modules): openid-client v6 is ESM-only and
// must be loaded for real in tests. ts-jest only transpiles (type errors are caught by `npm run lint`).
// Workflow code is never loaded through Jest: the Temporal bundler (webpack + swc) reads it from disk
// once, in the global setup, and every test file's worker uses that bundle.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Load tests (test/stress) run in a second, serial pass (jest.stress.config.js): a 10,000-request
  // flood next to the webhook-mode tests starved the shared dev server and timed them out. The Web UI
  // test (test/ui: a headless Chromium) and the terminal tests (test/terminal: the demo with its own
  // stack) run there too, for the same reason, and so do the package tests (test/package: tsc and npm
  // installs, minutes of both cores).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/stress/',
    '<rootDir>/test/ui/',
    '<rootDir>/test/terminal/',
    '<rootDir>/test/package/',
  ],
  modulePathIgnorePatterns: ['<rootDir>/lib/', '<rootDir>/.tools/'],
  globalSetup: '<rootDir>/test/setup/global-setup.js',
  globalTeardown: '<rootDir>/test/setup/global-teardown.js',
  // Integration tests share one Temporal dev server; two cores do not gain from more workers.
  maxWorkers: 2,
  testTimeout: 60_000,
};
