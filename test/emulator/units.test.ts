import { describe, expect, test } from '@jest/globals';
import { z } from 'zod';
import { TokenRegistry } from '../../emulator/auth/token-registry.js';
import { EmulatedClock } from '../../emulator/clock.js';
import { parseWith } from '../../emulator/http/validation.js';
import { Scheduler } from '../../emulator/scheduler.js';
import { resolveDynamicValues } from '../../emulator/tasks/dynamic-values.js';
import { LogTail } from '../../emulator/tasks/log-tail.js';
import { ScenarioRules, splitDuration } from '../../emulator/tasks/scenario-rules.js';

describe('Scheduler', () => {
  test('fires entries in due order, ties in insertion order, from one timer', async () => {
    const scheduler = new Scheduler(new EmulatedClock(1), (e) => {
      throw e;
    });
    const fired: string[] = [];
    const now = Date.now();
    const done = new Promise<void>((resolve) => scheduler.at(now + 60, () => resolve()));
    scheduler.at(now + 40, () => fired.push('c'));
    scheduler.at(now + 10, () => fired.push('a'));
    scheduler.at(now + 20, () => fired.push('b1'));
    scheduler.at(now + 20, () => fired.push('b2'));
    scheduler.at(now - 1000, () => fired.push('overdue'));
    await done;
    expect(fired).toEqual(['overdue', 'a', 'b1', 'b2', 'c']);
    expect(scheduler.size).toBe(0);
    scheduler.stop();
  });

  test('a scaled clock reaches emulated deadlines early in real time', async () => {
    const clock = new EmulatedClock(1000);
    const scheduler = new Scheduler(clock, () => undefined);
    const started = Date.now();
    await new Promise<void>((resolve) => scheduler.at(clock.now() + 60_000, resolve));
    expect(Date.now() - started).toBeLessThan(1000);
    scheduler.stop();
  });
});

describe('TokenRegistry', () => {
  test('static, issued, expired, revoked and unknown tokens', () => {
    let now = 1_000;
    const tokens = new TokenRegistry(() => now);
    tokens.registerStatic('pat', 'user');
    const issued = tokens.issue('task', 'user', 500);
    expect(tokens.validate('pat')).toMatchObject({ ok: true, record: { kind: 'pat', principal: 'user' } });
    expect(tokens.validate(issued.token)).toMatchObject({ ok: true, record: { kind: 'task' } });
    expect(tokens.validate(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(tokens.validate('nope')).toEqual({ ok: false, reason: 'unknown' });
    now += 500;
    expect(tokens.validate(issued.token)).toEqual({ ok: false, reason: 'expired' });
    const other = tokens.issue('task', 'user', 10_000);
    tokens.revoke(other.token);
    expect(tokens.validate(other.token)).toEqual({ ok: false, reason: 'expired' });
    expect(tokens.issuedCount).toBe(2);
    tokens.clearIssued();
    expect(tokens.validate('pat').ok).toBe(true);
    expect(tokens.validate(issued.token)).toEqual({ ok: false, reason: 'unknown' });
  });
});

describe('ScenarioRules precedence', () => {
  const identity = { taskKey: 'train', jobName: 'churn', runName: 'churn' };

  test('the most specific rule wins; among equals the later one', () => {
    const rules = new ScenarioRules();
    rules.add({ durationMs: 1 });
    const byTask = rules.add({ match: { taskKey: 'train' }, durationMs: 2 });
    rules.add({ match: { jobName: 'churn' }, durationMs: 3 });
    expect(rules.match(identity)?.durationMs).toBe(3);
    expect(rules.match({ ...identity, jobName: 'other', runName: 'other' })).toBe(byTask);
    rules.add({ match: { taskKey: 'train', jobName: 'churn' }, durationMs: 4 });
    rules.add({ durationMs: 5 });
    expect(rules.match(identity)?.durationMs).toBe(4);
    expect(rules.match({ taskKey: 'x', runName: 'y' })?.durationMs).toBe(5);
  });

  test('failTimes fails the first N applications, then succeeds with the same output', () => {
    const rules = new ScenarioRules();
    rules.add({
      match: { taskKey: 'train' },
      durationMs: 100,
      failTimes: 2,
      output: 'model-v1',
      error: 'OOM',
    });
    const results = [1, 2, 3].map(() => rules.plan(identity, 999));
    expect(results.map((p) => p.outcome.result)).toEqual(['FAILED', 'FAILED', 'SUCCESS']);
    expect(results[0]!.output).toEqual({ notebookResult: 'model-v1', error: 'OOM' });
    expect(results[2]!.output).toEqual({ notebookResult: 'model-v1' });
    expect(rules.plan({ taskKey: 'other', runName: 'r' }, 999).executionMs).toBe(999 - 99 - 49);
  });

  test('durations split into capped setup and clean-up', () => {
    expect(splitDuration(1000)).toEqual({ setupMs: 100, executionMs: 850, cleanupMs: 50 });
    expect(splitDuration(600_000)).toEqual({ setupMs: 2000, executionMs: 597_000, cleanupMs: 1000 });
  });
});

describe('small pieces', () => {
  test('LogTail keeps the last bytes and reports truncation', () => {
    const tail = new LogTail(10);
    tail.push(Buffer.from('0123456789'));
    expect(tail.truncated).toBe(false);
    tail.push(Buffer.from('abcdefghijklmnopqrstuvwxyz'));
    expect(tail.text()).toBe('qrstuvwxyz');
    expect(tail.truncated).toBe(true);
  });

  test('dynamic value references resolve, unknown ones stay', () => {
    const ctx = {
      jobId: 1,
      jobRunId: 2,
      taskRunId: 3,
      taskKey: 'k',
      jobName: 'j',
      jobParameters: { date: 'd' },
    };
    expect(
      resolveDynamicValues(
        '{{job.id}}/{{job.run_id}}/{{task.run_id}}/{{task.name}}/{{job.parameters.date}}',
        ctx,
      ),
    ).toBe('1/2/3/k/d');
    expect(resolveDynamicValues('{{job.parameters.missing}} {{secrets.x}}', ctx)).toBe(
      '{{job.parameters.missing}} {{secrets.x}}',
    );
  });

  test('validation errors name the field the way Databricks does', () => {
    const schema = z.looseObject({ a: z.looseObject({ b: z.array(z.number().int()) }) });
    expect(() => parseWith(schema, { a: { b: [1, 'x'] } })).toThrow(
      'Could not parse request object: Expected number for field a.b[1], found STRING',
    );
    expect(() => parseWith(schema, { a: { b: [1.5] } })).toThrow(
      'Invalid value for field a.b[0]: expected an integer, got 1.5',
    );
    expect(() => parseWith(schema, {})).toThrow('Missing required field: a');
  });
});
