// The load tests (test/stress), the Web UI test (test/ui, headless Chromium) and the terminal tests
// (test/terminal: the demo and stack as a shell runs them, each with a stack of its own) and the
// package tests (test/package: a build, npm pack and npm installs): the same
// setup as jest.config.js, one file at a time, after the main suite, so their load does not slow the
// timing-sensitive integration tests down.
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: [
    '<rootDir>/test/stress/**/*.test.ts',
    '<rootDir>/test/ui/**/*.test.ts',
    '<rootDir>/test/terminal/**/*.test.ts',
    '<rootDir>/test/package/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
  testTimeout: 180_000,
};
