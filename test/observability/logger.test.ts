import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import { createLogger, redact, REDACTED, type LoggerOptions } from '../../src/observability/logger.js';

function capture(isTTY?: boolean): { stream: Writable & { isTTY?: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream: Writable & { isTTY?: boolean } = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  if (isTTY !== undefined) stream.isTTY = isTTY;
  return { stream, lines };
}

const NOW = new Date('2026-11-26T12:00:00.000Z');

function logger(options: LoggerOptions = {}, isTTY?: boolean) {
  const out = capture(isTTY);
  return { log: createLogger({ stream: out.stream, now: () => NOW, ...options }), lines: out.lines };
}

describe('LakeloopLogger', () => {
  test('writes one JSON object per line with timestamp, level, message and context', () => {
    const { log, lines } = logger({ format: 'json' });
    log.info('Databricks run submitted', {
      workflowId: 'wf-1',
      workflowRunId: 'run-abc',
      activityType: 'submitRun',
      step: 'attempt-1',
      databricksRunId: 42,
      sdkComponent: 'activity',
    });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      timestamp: '2026-11-26T12:00:00.000Z',
      level: 'INFO',
      message: 'Databricks run submitted',
      workflowId: 'wf-1',
      runId: 'run-abc',
      activity: 'submitRun',
      step: 'attempt-1',
      databricksRunId: 42,
    });
  });

  test('child loggers add context to every line', () => {
    const { log, lines } = logger({ format: 'json', context: { component: 'worker' } });
    log.child({ workflowId: 'wf-2' }).warn('slow', { databricksRunId: 7 });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'WARN',
      component: 'worker',
      workflowId: 'wf-2',
      databricksRunId: 7,
    });
  });

  test('filters by level', () => {
    const { log, lines } = logger({ format: 'json', level: 'WARN' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.log('INFO', 'i2');
    expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['WARN', 'ERROR']);
    expect(log.isEnabled('ERROR')).toBe(true);
    expect(log.isEnabled('DEBUG')).toBe(false);
  });

  test('defaults to INFO and JSON when the stream is not a TTY', () => {
    const { log, lines } = logger({}, false);
    log.debug('hidden');
    log.info('shown');
    expect(log.format).toBe('json');
    expect(lines).toHaveLength(1);
    expect(() => JSON.parse(lines[0]!) as unknown).not.toThrow();
  });

  test('pretty, human-readable lines on a TTY; the explicit format wins', () => {
    const tty = logger({}, true);
    expect(tty.log.format).toBe('pretty');
    tty.log.info('worker started', { workflowId: 'wf-3', databricksRunId: 9, note: 'two words' });
    expect(tty.lines[0]).toBe(
      '2026-11-26T12:00:00.000Z INFO  worker started  workflowId=wf-3 databricksRunId=9 note="two words"',
    );
    const forced = logger({ format: 'json' }, true);
    forced.log.info('x');
    expect(JSON.parse(forced.lines[0]!)).toMatchObject({ message: 'x' });
  });

  test('never writes tokens or secrets given as context or inside messages', () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzcCJ9.c2lnbmF0dXJlc2ln';
    const pat = 'dapi0123456789abcdef0123456789abcdef';
    for (const format of ['json', 'pretty'] as const) {
      const { log, lines } = logger({ format, context: { clientSecret: 'top-secret-value' } });
      log.info(`calling with Bearer ${token}`, {
        authorization: `Bearer ${token}`,
        token,
        accessToken: { value: token },
        headers: { Authorization: 'Basic dXNlcjpwYXNzd29yZA==' },
        password: 'hunter2-hunter2',
        api_key: 'k-123',
        nested: [{ DATABRICKS_TOKEN: pat }],
        note: `pat is ${pat}`,
        error: new Error(`request failed with Bearer ${token}`),
      });
      const text = lines.join('\n');
      for (const secret of [
        token,
        pat,
        'top-secret-value',
        'hunter2-hunter2',
        'k-123',
        'dXNlcjpwYXNzd29yZA==',
      ]) {
        expect(text).not.toContain(secret);
      }
      expect(text).toContain(REDACTED);
    }
  });

  test('redact keeps harmless values and shapes', () => {
    expect(redact({ workflowId: 'wf', n: 1, ok: true, list: ['a'], none: null })).toEqual({
      workflowId: 'wf',
      n: 1,
      ok: true,
      list: ['a'],
      none: null,
    });
    expect(redact({ refreshToken: 'x' })).toEqual({ refreshToken: REDACTED });
  });
});

describe('notice', () => {
  test('lifecycle lines are written at INFO whatever the level', () => {
    const { log, lines } = logger({ format: 'json', level: 'ERROR' });
    log.info('filtered');
    log.notice('lakeloop worker polling task queue "q"', { taskQueue: 'q' });
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'lakeloop worker polling task queue "q"',
        taskQueue: 'q',
      }),
    ]);
  });
});
