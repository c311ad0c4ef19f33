/**
 * `npm run stack` as a user runs it: a real dev server with Lakeloop's search attributes registered,
 * and SIGTERM to npm leaves no temporal process behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { Connection } from '@temporalio/client';
import { missingSearchAttributes } from '../scripts/lib/stack.js';
import { projectRoot } from '../scripts/lib/temporal-cli.js';

function pidsMatching(pattern: string): number[] {
  const out = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map(Number);
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm run stack', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'lakeloop-stack-test-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  test('registers the search attributes, writes stack.env, and stops cleanly on SIGTERM', async () => {
    const npm = spawn(
      'npm',
      ['run', 'stack', '--', '--no-worker', '--port', '0', '--ui-port', '0', '--state-dir', stateDir],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    try {
      const address = await waitFor('the stack to print its address', () => {
        if (npm.exitCode !== null) throw new Error(`npm run stack exited early:\n${output}`);
        return /Temporal gRPC\s+(\S+)/.exec(output)?.[1];
      });
      const stackEnv = readFileSync(path.join(stateDir, 'stack.env'), 'utf8');
      expect(stackEnv).toContain(`TEMPORAL_ADDRESS=${address}`);

      const connection = await Connection.connect({ address });
      try {
        expect(await missingSearchAttributes(connection)).toEqual([]);
        const { customAttributes } = await connection.operatorService.listSearchAttributes({
          namespace: 'default',
        });
        const names = [
          'DatabricksJobId',
          'DatabricksRunId',
          'DatabricksRunState',
          'LakeloopPipeline',
          'LakeloopDecision',
          'LakeloopModelVersion',
        ];
        // Keyword is 2, Bool 5 and Datetime 6 in Temporal's IndexedValueType.
        const others = ['LakeloopDetached', 'LakeloopNotificationWaitSince'];
        expect(
          Object.fromEntries([...names, ...others].map((name) => [name, customAttributes?.[name]])),
        ).toEqual({
          ...Object.fromEntries(names.map((name) => [name, 2])),
          LakeloopDetached: 5,
          LakeloopNotificationWaitSince: 6,
        });
      } finally {
        await connection.close();
      }
      expect(pidsMatching(stateDir).length).toBeGreaterThan(0);

      npm.kill('SIGTERM');
      await exited;
      await waitFor(
        'every process of the stack to exit',
        () => (pidsMatching(stateDir).length === 0 ? true : undefined),
        20_000,
      );
      expect(existsSync(path.join(stateDir, 'stack.env'))).toBe(false);
      expect(output).toContain('local stack stopped');
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      for (const pid of pidsMatching(stateDir)) process.kill(pid, 'SIGKILL');
    }
  }, 120_000); // its own waits allow 60 s to start and 20 s to stop
});
