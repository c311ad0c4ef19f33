import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../scripts/python-venv.js';

const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');

interface Started {
  child: ChildProcess;
  url: string;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/** `npm run emulator -- …` runs exactly this: tsx emulator/main.ts with the flags. */
function startCli(args: string[]): Promise<Started> {
  const child = spawn(tsx, ['emulator/main.ts', ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout.push(line);
      const match = /^emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (match) resolve({ child, url: match[1]!, stdout, stderr, exited });
    });
    void exited.then((code) => reject(new Error(`emulator exited with ${code}: ${stderr.join('\n')}`)));
  });
}

describe('npm run emulator', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'emulator-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints exactly the listening line, serves the API with the given PATs, and exits 0 on SIGTERM', async () => {
    const patFile = path.join(dir, 'pats');
    writeFileSync(patFile, 'dapi-from-file\n\n');
    const statePath = path.join(dir, 'state.json');
    const emulator = await startCli([
      '--port',
      '0',
      '--pat',
      'dapi-from-flag',
      '--pat-file',
      patFile,
      '--state',
      statePath,
      '--verbose',
    ]);
    try {
      for (const token of ['dapi-from-flag', 'dapi-from-file']) {
        const response = await fetch(`${emulator.url}/api/2.1/jobs/list`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(response.status).toBe(200);
      }
      const denied = await fetch(`${emulator.url}/api/2.1/jobs/list`, {
        headers: { authorization: 'Bearer dapi-wrong' },
      });
      expect(denied.status).toBe(401);
    } finally {
      emulator.child.kill('SIGTERM');
    }
    expect(await emulator.exited).toBe(0);
    expect(emulator.stdout).toEqual([`emulator listening on ${emulator.url}`]);
    // --verbose logs requests, never tokens.
    expect(emulator.stderr.some((line) => line.includes('/api/2.1/jobs/list'))).toBe(true);
    expect(emulator.stderr.join('\n')).not.toMatch(/dapi-from|dapi-wrong/);
  });

  test('refuses to start without a credential source', async () => {
    const child = spawn(tsx, ['emulator/main.ts', '--port', '0'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('at least one credential source');
  });
});
