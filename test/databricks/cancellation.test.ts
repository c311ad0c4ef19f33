/**
 * A request made for an activity that is cancelled meanwhile is abandoned on the wire (its signal
 * aborts the fetch), instead of being awaited until its timeout: the caller gets the cancellation.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { JobsClient } from '../../src/databricks/jobs.js';
import { startTestEmulator, type TestEmulator } from '../emulator/helpers.js';
import { databricksClientFor } from '../helpers/workspace.js';

describe('Databricks requests and cancellation', () => {
  let emulator: TestEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  test('an aborted caller abandons its in-flight request with the abort reason, not a timeout', async () => {
    await emulator.control('POST', '/faults', {
      method: 'GET',
      path: '/jobs/runs/get',
      latencyMs: 30_000,
      count: 1,
    });
    const http = databricksClientFor(emulator); // its own per-request timeout is 5 s
    const controller = new AbortController();
    http.setCancellationSource(() => controller.signal);
    const reason = new Error('activity cancelled');
    const pending = new JobsClient(http).getRun('1');
    setTimeout(() => controller.abort(reason), 200);
    await expect(pending).rejects.toBe(reason);
  });

  test('a caller already cancelled sends nothing', async () => {
    const http = databricksClientFor(emulator);
    const controller = new AbortController();
    const reason = new Error('cancelled before');
    controller.abort(reason);
    http.setCancellationSource(() => controller.signal);
    const before = (await emulator.control<{ requests: Record<string, number> }>('GET', '/stats')).requests;
    await expect(new JobsClient(http).getRun('1')).rejects.toBe(reason);
    const after = (await emulator.control<{ requests: Record<string, number> }>('GET', '/stats')).requests;
    expect(after).toEqual(before);
  });
});
