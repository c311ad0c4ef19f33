/**
 * The receiver's liveness state machine (src/webhooks/liveness.ts) when its Temporal connection goes
 * and comes back: the Temporal client is replaced by one whose heartbeats fail while "Temporal is
 * down" (its calls are what a lost connection makes fail), so the order of gaps is exact. The real
 * server is used by test/workflows/webhook-receivers.test.ts.
 */
import { describe, expect, test } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { startLiveness, type Gap } from '../../src/webhooks/liveness.js';
import { waitFor } from '../emulator/helpers.js';

function flakyTemporal() {
  const state = { down: false, heartbeats: 0 };
  const client = {
    options: { loadedDataConverter: { payloadConverter: {}, payloadCodecs: [] } },
    workflow: {
      signalWithStart: async () => {
        if (state.down) throw new Error('14 UNAVAILABLE: connection refused');
        state.heartbeats++;
        return {};
      },
      getHandle: () => ({
        // No registry yet: the first receiver's gap has an unknown start.
        fetchHistory: async () => {
          throw new WorkflowNotFoundError('not found', 'w', undefined);
        },
      }),
    },
  } as unknown as Client;
  return { client, state };
}

describe('receiver liveness', () => {
  test('a lost Temporal connection is a gap from the last heartbeat that worked to the first that works again', async () => {
    const { client, state } = flakyTemporal();
    const gaps: Gap[] = [];
    const liveness = startLiveness({ client, taskQueue: 'q', intervalMs: 50, onGap: (g) => gaps.push(g) });
    try {
      // At start: no records, so a gap of unknown start (catch up on everything waiting).
      await waitFor(
        async () => gaps.length,
        (n) => n === 1,
        { what: 'the start gap' },
      );
      expect(gaps[0]!.downSince).toBeUndefined();
      await waitFor(
        async () => state.heartbeats,
        (n) => n >= 2,
        { what: 'heartbeats' },
      );
      state.down = true;
      const lastAble = liveness.lastAble();
      await new Promise((resolve) => setTimeout(resolve, 300)); // several failed heartbeats
      expect(gaps).toHaveLength(1); // nothing is reported while it is down
      state.down = false;
      await waitFor(
        async () => gaps.length,
        (n) => n === 2,
        { what: 'the reconnect gap' },
      );
      expect(gaps[1]!.downSince).toEqual(lastAble);
      expect(gaps[1]!.upAt.getTime()).toBeGreaterThan(lastAble.getTime());
    } finally {
      await liveness.stop();
    }
  });

  test('a delivery that could not be forwarded opens a gap even between heartbeats', async () => {
    const { client } = flakyTemporal();
    const gaps: Gap[] = [];
    const liveness = startLiveness({ client, taskQueue: 'q', intervalMs: 100, onGap: (g) => gaps.push(g) });
    try {
      await waitFor(
        async () => gaps.length,
        (n) => n === 1,
        { what: 'the start gap' },
      );
      const lastAble = liveness.lastAble();
      liveness.deliveryFailed();
      await waitFor(
        async () => gaps.length,
        (n) => n === 2,
        { what: 'the gap after the failed delivery' },
      );
      expect(gaps[1]!.downSince!.getTime()).toBeGreaterThanOrEqual(lastAble.getTime());
    } finally {
      await liveness.stop();
    }
  });
});
