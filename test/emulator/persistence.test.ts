import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../emulator/server.js';
import {
  PAT,
  createJob,
  getRun,
  runNow,
  startTestEmulator,
  submit,
  task,
  waitForState,
  waitForTerminal,
} from './helpers.js';

describe('--state persistence', () => {
  let dir: string;
  let statePath: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'emulator-state-'));
    statePath = path.join(dir, 'workspace.json');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  test('a restart loses no job, run, destination or token, and runs in flight finish afterwards', async () => {
    const first = await startTestEmulator({ statePath, persistDebounceMs: 20 });
    let jobId: number;
    let finished: number;
    let inFlight: number;
    let destination: string;
    try {
      // Emulated time runs on while the emulator is down: long enough to still be running after a slow restart.
      await first.control('POST', '/scenarios', { match: { taskKey: 'long' }, durationMs: 5000 });
      await first.control('POST', '/scenarios', { match: { taskKey: 'short' }, durationMs: 20 });
      jobId = await createJob(first, { name: 'kept', tasks: [task('short')] });
      finished = await runNow(first, { job_id: jobId });
      await waitForTerminal(first, finished);
      const created = await first.api('POST', '/api/2.0/notification-destinations', {
        config: { generic_webhook: { url: 'http://127.0.0.1:9/x', password: 'p' } },
      });
      destination = created.body.id;
      inFlight = (
        await first.api('POST', '/api/2.1/jobs/runs/submit', {
          idempotency_token: 'survives-restart',
          tasks: [task('long'), task('short', ['long'])],
        })
      ).body.run_id;
      await waitForState(first, inFlight, 'RUNNING');
    } finally {
      await first.close();
    }
    const saved = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(saved.runs).toHaveLength(2);
    expect(JSON.stringify(saved)).not.toContain(PAT);

    const second = await startTestEmulator({ statePath, persistDebounceMs: 20 });
    try {
      expect((await second.api('GET', `/api/2.2/jobs/get?job_id=${jobId}`)).body.settings.name).toBe('kept');
      expect((await getRun(second, finished)).state.result_state).toBe('SUCCESS');
      expect((await second.api('GET', `/api/2.0/notification-destinations/${destination}`)).status).toBe(200);
      const resumed = await getRun(second, inFlight);
      expect(['RUNNING', 'TERMINATING']).toContain(resumed.state.life_cycle_state);
      const done = await waitForTerminal(second, inFlight);
      expect(done.state.result_state).toBe('SUCCESS');
      expect(done.tasks.map((t: any) => t.state.result_state)).toEqual(['SUCCESS', 'SUCCESS']);
      // The token still deduplicates, scenario rules survived, and new ids never collide with old ones.
      const replay = await second.api('POST', '/api/2.1/jobs/runs/submit', {
        idempotency_token: 'survives-restart',
        tasks: [task('long')],
      });
      expect(replay.body.run_id).toBe(inFlight);
      const fresh = await submit(second, { tasks: [task('short')] });
      expect(fresh).toBeGreaterThan(inFlight);
      expect((await second.control('GET', '/scenarios')).rules).toHaveLength(2);
      expect((second.handle.stats() as any).runs.created).toBe(3);
    } finally {
      await second.close();
    }
  });

  test('a corrupt state file stops the emulator from starting instead of silently dropping runs', async () => {
    writeFileSync(statePath, '{"not": "a state file"}');
    await expect(startEmulator({ pats: [PAT], statePath })).rejects.toThrow(/not an emulator state file/);
  });
});
