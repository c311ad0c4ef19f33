/**
 * Scenario rules script what a task does when it is not a local Python file: how long it takes, how
 * it ends, what it outputs. Rules are set through the control API (POST /__emulator/scenarios).
 *
 * Precedence: the most specific matching rule wins (the one that constrains more of taskKey, jobName,
 * runName, input — the last only for iterations of a for_each task); between equally specific rules the one added last wins. A rule with no `match` is a
 * catch-all default. The winning rule decides everything about the task; fields it leaves out take
 * their defaults (success, no output), never values from another rule.
 *
 * `durationsMs: [a, b, …]` gives the rule's first task a, its second b, and so on (then `durationMs`):
 * runs of one job whose lengths vary as real ones do, e.g. drawn by a benchmark from a distribution.
 *
 * `failTimes: N` makes a rule fail the first N tasks it is applied to and let later ones succeed, so
 * "fails once, then succeeds after repair or resubmit" needs one rule.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Outcome, TaskOutput, TaskPlan } from '../runs/run-model.js';
import { RESULT_STATES, TERMINATION_CODES, TERMINATION_TYPES } from '../runs/run-model.js';
import { TASK_FAILURE_MESSAGE, isFailure, outcome } from '../runs/termination.js';

export const scenarioRuleSchema = z.strictObject({
  match: z
    .strictObject({
      taskKey: z.string().optional(),
      jobName: z.string().optional(),
      runName: z.string().optional(),
      /** Only iterations of a for_each task whose `{{input}}` is exactly this text. */
      input: z.string().optional(),
    })
    .optional(),
  durationMs: z
    .number()
    .int()
    .min(0)
    .max(365 * 24 * 3600 * 1000)
    .optional(),
  /** The Nth task this rule scripts takes durationsMs[N]; after the list, durationMs. */
  durationsMs: z
    .array(
      z
        .number()
        .int()
        .min(0)
        .max(365 * 24 * 3600 * 1000),
    )
    .max(100_000)
    .optional(),
  result: z.enum(RESULT_STATES).optional(),
  terminationCode: z.enum(TERMINATION_CODES).optional(),
  terminationType: z.enum(TERMINATION_TYPES).optional(),
  lifeCycleState: z.enum(['TERMINATED', 'INTERNAL_ERROR', 'SKIPPED']).optional(),
  stateMessage: z.string().optional(),
  /** The dbutils.notebook.exit value; anything but a string is sent as its JSON text. */
  output: z.unknown().optional(),
  logs: z.string().optional(),
  logsTruncated: z.boolean().optional(),
  error: z.string().optional(),
  errorTrace: z.string().optional(),
  failTimes: z.number().int().min(1).optional(),
});
export type ScenarioRuleInput = z.infer<typeof scenarioRuleSchema>;

export interface ScenarioRule extends ScenarioRuleInput {
  id: string;
  /** How many tasks this rule has scripted so far (drives failTimes). */
  applied: number;
}

export interface TaskIdentity {
  taskKey: string;
  jobName?: string;
  runName: string;
  /** For an iteration of a for_each task: what its `{{input}}` resolves to. */
  input?: string;
}

/**
 * Setup (PENDING) and clean-up (TERMINATING) take these shares of a task's duration, capped, so every
 * life-cycle state is visible to a poller and a long task is RUNNING within seconds.
 */
const SETUP_SHARE = 0.1;
const SETUP_MAX_MS = 2000;
const CLEANUP_SHARE = 0.05;
const CLEANUP_MAX_MS = 1000;

export function splitDuration(durationMs: number): Pick<TaskPlan, 'setupMs' | 'executionMs' | 'cleanupMs'> {
  const setupMs = Math.min(SETUP_MAX_MS, Math.floor(durationMs * SETUP_SHARE));
  const cleanupMs = Math.min(CLEANUP_MAX_MS, Math.floor(durationMs * CLEANUP_SHARE));
  return { setupMs, cleanupMs, executionMs: durationMs - setupMs - cleanupMs };
}

export class ScenarioRules {
  private rules: ScenarioRule[] = [];

  add(input: ScenarioRuleInput): ScenarioRule {
    const rule: ScenarioRule = { ...input, id: randomUUID(), applied: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): readonly ScenarioRule[] {
    return this.rules;
  }

  replaceAll(rules: ScenarioRule[]): void {
    this.rules = rules;
  }

  clear(): void {
    this.rules = [];
  }

  /** The rule that scripts `task`, by the precedence described above. */
  match(task: TaskIdentity): ScenarioRule | undefined {
    let best: ScenarioRule | undefined;
    let bestScore = -1;
    for (const rule of this.rules) {
      const score = specificity(rule, task);
      if (score >= bestScore && score >= 0) {
        best = rule;
        bestScore = score;
      }
    }
    return best;
  }

  /** Decide the task's whole script now; counts the application against the rule's failTimes. */
  plan(task: TaskIdentity, defaultDurationMs: number): TaskPlan {
    const rule = this.match(task);
    if (!rule) return { ...splitDuration(defaultDurationMs), outcome: outcome('SUCCESS', ''), output: {} };
    const attempt = rule.applied++;
    const durations = splitDuration(rule.durationsMs?.[attempt] ?? rule.durationMs ?? defaultDurationMs);
    const recovered = rule.failTimes !== undefined && attempt >= rule.failTimes;
    return { ...durations, ...scriptedOutcome(rule, recovered), ruleId: rule.id };
  }
}

/** -1 when the rule does not match; otherwise the number of fields it constrains. */
function specificity(rule: ScenarioRule, task: TaskIdentity): number {
  const match = rule.match ?? {};
  let score = 0;
  if (match.taskKey !== undefined) {
    if (match.taskKey !== task.taskKey) return -1;
    score++;
  }
  if (match.jobName !== undefined) {
    if (match.jobName !== task.jobName) return -1;
    score++;
  }
  if (match.runName !== undefined) {
    if (match.runName !== task.runName) return -1;
    score++;
  }
  if (match.input !== undefined) {
    if (match.input !== task.input) return -1;
    score++;
  }
  return score;
}

function scriptedOutcome(rule: ScenarioRule, recovered: boolean): { outcome: Outcome; output: TaskOutput } {
  const notebookResult =
    rule.output === undefined
      ? undefined
      : typeof rule.output === 'string'
        ? rule.output
        : JSON.stringify(rule.output);
  const common: TaskOutput = {
    ...(notebookResult !== undefined ? { notebookResult } : {}),
    ...(rule.logs !== undefined ? { logs: rule.logs, logsTruncated: rule.logsTruncated ?? false } : {}),
  };
  if (recovered) return { outcome: outcome('SUCCESS', ''), output: common };

  const lifeCycle = rule.lifeCycleState ?? 'TERMINATED';
  const result =
    rule.result ??
    (rule.failTimes !== undefined || lifeCycle === 'INTERNAL_ERROR'
      ? 'FAILED'
      : lifeCycle === 'SKIPPED'
        ? 'EXCLUDED'
        : 'SUCCESS');
  const failed = isFailure(result) || lifeCycle === 'INTERNAL_ERROR';
  const stateMessage = rule.stateMessage ?? (failed ? TASK_FAILURE_MESSAGE : '');
  const error = rule.error ?? (failed ? `Scripted failure (scenario rule ${rule.id})` : undefined);
  return {
    outcome: outcome(result, stateMessage, {
      lifeCycle,
      ...(rule.terminationCode ? { code: rule.terminationCode } : {}),
      ...(rule.terminationType ? { type: rule.terminationType } : {}),
    }),
    output: {
      ...common,
      ...(error !== undefined ? { error } : {}),
      ...(rule.errorTrace !== undefined ? { errorTrace: rule.errorTrace } : {}),
    },
  };
}
