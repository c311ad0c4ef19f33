/**
 * The run life cycle. A parent run goes QUEUED? → PENDING → RUNNING → TERMINATING → TERMINATED
 * (or SKIPPED / INTERNAL_ERROR); each task goes BLOCKED → PENDING (setup) → RUNNING → TERMINATING
 * (clean-up) → TERMINATED, or straight to SKIPPED when its run_if condition is not met.
 *
 * Every timed transition is one entry in the shared Scheduler. All state lives in the RunRecords, and
 * each record says where it is and until when (phaseEndsAt, deadlineAt), so `resume()` can rebuild the
 * schedule after a restart from the records alone.
 */
import type { TokenRegistry } from '../auth/token-registry.js';
import type { EmulatedClock } from '../clock.js';
import type { IdSequence } from '../ids.js';
import type { JobStore } from '../jobs/job-store.js';
import type {
  NotificationSettings,
  TaskSettings,
  WebhookNotifications,
} from '../jobs/job-settings-schema.js';
import type { ResolvedOptions } from '../options.js';
import type { Scheduler } from '../scheduler.js';
import type { DynamicValueContext } from '../tasks/dynamic-values.js';
import { resolveDynamicValues } from '../tasks/dynamic-values.js';
import { inputText } from '../tasks/for-each-inputs.js';
import type { PythonExit, PythonTaskRunner } from '../tasks/python-task.js';
import { localPythonFile } from '../tasks/python-task.js';
import type { ScenarioRules } from '../tasks/scenario-rules.js';
import { freeSlots, loopDone, loopOf, loopOutcome, startLoop } from './for-each.js';
import type { RunIfDecision } from './run-conditions.js';
import { decideRunIf } from './run-conditions.js';
import type { JobParameterValue, Outcome, RunRecord, RunType, TaskOutput, TaskRun } from './run-model.js';
import { isTerminal } from './run-model.js';
import { rollUp } from './run-rollup.js';
import type { RunStore } from './run-store.js';
import { TASK_FAILURE_MESSAGE, outcome } from './termination.js';

/** Observers of life-cycle events (webhook notifications). Called after the state is updated. */
export interface RunEvents {
  runStarted(run: RunRecord): void;
  runFinished(run: RunRecord): void;
  taskStarted(run: RunRecord, task: TaskRun): void;
  taskFinished(run: RunRecord, task: TaskRun): void;
}

export interface NewRun {
  jobId: number;
  runName: string;
  runType: RunType;
  creator: string;
  tasks: TaskSettings[];
  timeoutSeconds: number;
  /** Per-job concurrency; absent for one-time runs, which are not limited. */
  concurrency?: { maxConcurrentRuns: number; queueEnabled: boolean };
  webhooks?: WebhookNotifications;
  notificationSettings?: NotificationSettings;
  jobParameters?: JobParameterValue[];
  jobClusters?: unknown[];
  overridingParameters?: Record<string, unknown>;
  pythonParams?: string[];
  idempotencyToken?: string;
}

export interface RepairRequest {
  taskKeys: Set<string>;
  /** Current settings of each re-run task ("tasks re-run with the current job settings"). */
  specs: Map<string, TaskSettings>;
  jobParameters?: Record<string, string>;
  pythonParams?: string[];
}

export interface EngineDeps {
  runs: RunStore;
  jobs: JobStore;
  scheduler: Scheduler;
  clock: EmulatedClock;
  runIds: IdSequence;
  scenarios: ScenarioRules;
  python: PythonTaskRunner;
  tokens: TokenRegistry;
  events: RunEvents;
  options: ResolvedOptions;
  baseUrl: () => string;
  /**
   * The id clients see for an internal one (the `int64-ids` dialect adds 2^62). A Python task is a
   * client: the ids in its environment and parameters are the ones it can look up through the API.
   */
  externalId: (id: number) => number | bigint;
  /** Something persistent changed (the state file writer debounces). */
  changed: () => void;
}

/** Emulated setup and clean-up of a real Python task, and of a task being cancelled or timed out. */
const PYTHON_SETUP_MS = 100;
const PYTHON_CLEANUP_MS = 50;
const STOP_CLEANUP_MS = 500;
/** A parent run's own clean-up after its last task: 5 % of its run time, at most half a second. */
const RUN_CLEANUP_SHARE = 0.05;
const RUN_CLEANUP_MAX_MS = 500;

export class RunEngine {
  private shuttingDown = false;

  constructor(private readonly deps: EngineDeps) {}

  createRun(input: NewRun): RunRecord {
    const { clock, runs, runIds } = this.deps;
    const now = clock.now();
    const run: RunRecord = {
      runId: runIds.next(),
      jobId: input.jobId,
      runName: input.runName,
      runType: input.runType,
      creator: input.creator,
      createdAt: now,
      startedAt: now,
      endTime: 0,
      phase: 'PENDING',
      timeoutSeconds: input.timeoutSeconds,
      tasks: [],
      previousAttempts: [],
      history: [],
      activeMsBefore: 0,
      gen: 0,
      actualCreatedMs: Date.now(),
      ...(input.idempotencyToken !== undefined ? { idempotencyToken: input.idempotencyToken } : {}),
      ...(input.webhooks ? { webhooks: input.webhooks } : {}),
      ...(input.notificationSettings ? { notificationSettings: input.notificationSettings } : {}),
      ...(input.jobParameters ? { jobParameters: input.jobParameters } : {}),
      ...(input.jobClusters ? { jobClusters: input.jobClusters } : {}),
      ...(input.overridingParameters ? { overridingParameters: input.overridingParameters } : {}),
      ...(input.pythonParams ? { pythonParams: input.pythonParams } : {}),
    };
    run.tasks = input.tasks.map((spec) => this.newTaskRun(spec, 0, now));
    run.history.push({
      type: 'ORIGINAL',
      startTime: now,
      endTime: 0,
      taskRunIds: run.tasks.map((t) => t.runId),
    });
    runs.add(run);
    runs.created++;

    const limit = input.concurrency;
    if (limit && this.mustWait(run, limit.maxConcurrentRuns)) {
      if (limit.queueEnabled) this.enqueue(run);
      else this.skipForConcurrency(run, limit.maxConcurrentRuns);
    } else {
      // Same instant as createdAt: a second clock read could land a millisecond later and make
      // run_duration differ from end_time - start_time for a run that never queued.
      this.startRun(run, now);
    }
    this.deps.changed();
    return run;
  }

  /** Cancel a run (runs/cancel): asynchronous, like Databricks — it passes through TERMINATING. */
  cancel(run: RunRecord): void {
    if (isTerminal(run.phase) || run.stopping || run.phaseEndsAt !== undefined) return;
    if (run.phase === 'QUEUED') {
      const now = this.deps.clock.now();
      run.stopping = 'user';
      run.activeSince = now;
      for (const task of run.tasks) this.settleUnstarted(task, cancelledOutcome(), now);
      this.finalizeRun(run);
      return;
    }
    this.stop(run, 'user', this.deps.clock.now());
    this.deps.changed();
  }

  /**
   * Re-run some tasks of a finished run (runs/repair). The replaced attempts stay readable; each new
   * attempt gets a fresh task run id and attempt_number + 1. Returns the repair id.
   */
  repair(run: RunRecord, request: RepairRequest): number {
    const { clock, runIds, runs } = this.deps;
    const now = clock.now();
    const repairId = runIds.next();
    const newIds: number[] = [];
    run.tasks = run.tasks.map((task) => {
      if (!request.taskKeys.has(task.taskKey)) return task;
      const fresh = this.newTaskRun(request.specs.get(task.taskKey) ?? task.spec, task.attempt + 1, now);
      run.previousAttempts.push(task);
      runs.addTaskRun(run, fresh);
      newIds.push(fresh.runId);
      return fresh;
    });
    if (request.jobParameters) {
      const params = new Map((run.jobParameters ?? []).map((p) => [p.name, p]));
      for (const [name, value] of Object.entries(request.jobParameters)) {
        params.set(name, { ...(params.get(name) ?? { name }), value });
      }
      run.jobParameters = [...params.values()];
    }
    if (request.pythonParams) run.pythonParams = request.pythonParams;
    run.history.push({ type: 'REPAIR', id: repairId, startTime: now, endTime: 0, taskRunIds: newIds });
    delete run.outcome;
    delete run.stopping;
    delete run.phaseEndsAt;
    run.endTime = 0;
    run.phase = 'PENDING';
    run.activeSince = now;
    run.gen++;
    this.armRunDeadline(run, now);
    this.deps.events.runStarted(run);
    this.progress(run);
    this.deps.changed();
    return repairId;
  }

  /** Cancel every active run of a job, or every queued run of the workspace (runs/cancel-all). */
  cancelAll(filter: { jobId?: number; queuedOnly: boolean }): void {
    const candidates =
      filter.jobId === undefined ? [...this.deps.runs.values()] : this.deps.runs.ofJob(filter.jobId);
    for (const run of candidates) {
      if (filter.queuedOnly && run.phase !== 'QUEUED') continue;
      this.cancel(run);
    }
  }

  /** Rebuild the schedule (and relaunch Python tasks) for the runs of a restored workspace. */
  resume(): void {
    const queuedJobs = new Set<number>();
    for (const run of [...this.deps.runs.values()]) {
      if (isTerminal(run.phase)) continue;
      if (run.phase === 'QUEUED') {
        queuedJobs.add(run.jobId);
        continue;
      }
      if (run.deadlineAt !== undefined) this.scheduleRunDeadline(run);
      if (run.phaseEndsAt !== undefined) this.scheduleRunCleanup(run);
      for (const task of run.tasks) {
        if (isTerminal(task.phase)) continue;
        this.resumeTask(run, task);
        for (const iteration of task.forEach?.iterations ?? []) {
          if (!isTerminal(iteration.phase)) this.resumeTask(run, iteration);
        }
      }
      // progress() also fills the free slots of for_each loops.
      this.progress(run);
    }
    for (const jobId of queuedJobs) this.startQueued(jobId);
  }

  private resumeTask(run: RunRecord, task: TaskRun): void {
    if (task.deadlineAt !== undefined) this.scheduleTaskDeadline(run, task);
    if (task.phaseEndsAt !== undefined) this.scheduleTaskPhase(run, task);
    else if (task.phase === 'RUNNING' && task.executor === 'python') this.launchPython(run, task);
  }

  /** Stop reacting to task processes (their exit during shutdown is not an outcome to record). */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  // ---- starting -------------------------------------------------------------------------------

  private newTaskRun(spec: TaskSettings, attempt: number, now: number): TaskRun {
    // A python_file on this machine runs for real; workspace and cloud paths follow scenario rules.
    const local = spec.spark_python_task && localPythonFile(spec.spark_python_task.python_file);
    return {
      runId: this.deps.runIds.next(),
      taskKey: spec.task_key,
      attempt,
      spec,
      executor: spec.for_each_task ? 'for_each' : local ? 'python' : 'scenario',
      phase: 'BLOCKED',
      phaseStartedAt: now,
      startTime: 0,
      endTime: 0,
      setupMs: 0,
      executionMs: 0,
      cleanupMs: 0,
      gen: 0,
    };
  }

  private activeRunsOfJob(jobId: number, except?: RunRecord): RunRecord[] {
    return this.deps.runs
      .ofJob(jobId)
      .filter((r) => r !== except && !isTerminal(r.phase) && r.phase !== 'QUEUED');
  }

  private mustWait(run: RunRecord, maxConcurrentRuns: number): boolean {
    const queuedAhead = this.deps.runs.ofJob(run.jobId).some((r) => r !== run && r.phase === 'QUEUED');
    return queuedAhead || this.activeRunsOfJob(run.jobId, run).length >= maxConcurrentRuns;
  }

  private enqueue(run: RunRecord): void {
    run.phase = 'QUEUED';
    run.queueReason = 'MAX_CONCURRENT_RUNS_REACHED';
    for (const task of run.tasks) task.phase = 'QUEUED';
  }

  private skipForConcurrency(run: RunRecord, max: number): void {
    const now = this.deps.clock.now();
    const message = `Skipping this run because the limit of ${max} maximum concurrent runs has been reached.`;
    const skipped = outcome('MAXIMUM_CONCURRENT_RUNS_REACHED', message, { lifeCycle: 'SKIPPED' });
    for (const task of run.tasks) this.settleUnstarted(task, skipped, now);
    run.activeSince = now;
    this.finalizeRun(run);
  }

  private startRun(run: RunRecord, now = this.deps.clock.now()): void {
    run.phase = 'PENDING';
    delete run.queueReason;
    run.startedAt = now;
    run.activeSince = now;
    for (const task of run.tasks) task.phase = 'BLOCKED';
    this.armRunDeadline(run, now);
    this.deps.events.runStarted(run);
    this.progress(run, now);
  }

  /** Start the next queued runs of a job while it has free slots. */
  private startQueued(jobId: number): void {
    const max = this.deps.jobs.get(jobId)?.settings.max_concurrent_runs ?? 1;
    let active = this.activeRunsOfJob(jobId).length;
    for (const run of this.deps.runs.ofJob(jobId)) {
      if (active >= max) break;
      if (run.phase !== 'QUEUED') continue;
      this.startRun(run);
      active++;
    }
  }

  /**
   * Settle disabled tasks, start every blocked task whose dependencies have finished or mark it
   * EXCLUDED/UPSTREAM_FAILED/DISABLED, until nothing changes; fill the free slots of running for_each
   * loops; then, if every task is done, begin the run's own clean-up.
   */
  private progress(run: RunRecord, now = this.deps.clock.now()): void {
    if (isTerminal(run.phase) || run.phase === 'QUEUED') return;
    if (!run.stopping) {
      const byKey = new Map(run.tasks.map((t) => [t.taskKey, t]));
      let changed = true;
      while (changed) {
        changed = false;
        for (const task of run.tasks) {
          if (task.phase !== 'BLOCKED') continue;
          // "A disabled task … is skipped at run time" and its state is decided when the run is
          // created, whatever its dependencies (docs.databricks.com/jobs/disabled-tasks).
          if (task.spec.disabled === true) {
            this.skipTask(run, task, 'DISABLED', now);
            changed = true;
            continue;
          }
          const deps = (task.spec.depends_on ?? []).flatMap((d) => byKey.get(d.task_key) ?? []);
          if (!deps.every((d) => isTerminal(d.phase))) continue;
          const decision = decideRunIf(
            task.spec.run_if ?? 'ALL_SUCCESS',
            deps.map((d) => d.outcome?.result),
          );
          if (decision === 'RUN') {
            this.startTask(run, task, now);
          } else {
            this.skipTask(run, task, decision, now);
            changed = true;
          }
        }
      }
      for (const task of run.tasks) {
        if (task.executor === 'for_each' && task.phase === 'RUNNING') this.advanceLoop(run, task, now);
      }
    }
    if (run.phaseEndsAt === undefined && run.tasks.every((t) => isTerminal(t.phase))) {
      this.beginRunCleanup(run, now);
    }
  }

  private startTask(run: RunRecord, task: TaskRun, now: number): void {
    if (task.executor === 'for_each') this.startLoop(run, task, now);
    else this.startWork(run, task, now);
    this.deps.events.taskStarted(run, task);
  }

  /** Start a scenario or Python task run: a top-level task or an iteration of a for_each loop. */
  private startWork(run: RunRecord, task: TaskRun, now: number): void {
    const { options, scenarios } = this.deps;
    task.phase = 'PENDING';
    task.startTime = now;
    task.phaseStartedAt = now;
    task.actualStartMs = Date.now();
    if (task.executor === 'scenario') {
      task.plan = scenarios.plan(
        {
          taskKey: task.taskKey,
          runName: run.runName,
          ...(run.runType === 'JOB_RUN' ? { jobName: run.runName } : {}),
          ...(task.iteration ? { input: inputText(task.iteration.input) } : {}),
        },
        options.defaultTaskDurationMs,
      );
      task.phaseEndsAt = now + task.plan.setupMs;
    } else {
      task.phaseEndsAt = now + PYTHON_SETUP_MS;
    }
    this.armTaskDeadline(run, task, now);
    this.scheduleTaskPhase(run, task);
  }

  private armTaskDeadline(run: RunRecord, task: TaskRun, now: number): void {
    const timeout = task.spec.timeout_seconds ?? 0;
    if (timeout > 0) {
      task.deadlineAt = now + timeout * 1000;
      this.scheduleTaskDeadline(run, task);
    }
  }

  private skipTask(
    run: RunRecord,
    task: TaskRun,
    decision: Exclude<RunIfDecision, 'RUN'>,
    now: number,
  ): void {
    const runIf = task.spec.run_if ?? 'ALL_SUCCESS';
    // The messages are ours [U]; clients read the result state.
    const message = {
      EXCLUDED: `Excluded: the run_if condition ${runIf} was not met.`,
      UPSTREAM_CANCELED: 'Upstream task(s) were canceled.',
      UPSTREAM_FAILED: 'Upstream task(s) failed.',
      DISABLED:
        task.spec.disabled === true
          ? 'This task is disabled.'
          : `Disabled: the run_if condition ${runIf} cannot be met because upstream task(s) are disabled.`,
    }[decision];
    this.settleUnstarted(task, outcome(decision, message, { lifeCycle: 'SKIPPED' }), now);
  }

  // ---- for_each loops -------------------------------------------------------------------------

  /**
   * A for_each task runs no code of its own: it resolves its inputs and goes straight to RUNNING,
   * where progress()/advanceLoop() keep up to `concurrency` iterations going.
   */
  private startLoop(run: RunRecord, task: TaskRun, now: number): void {
    task.phase = 'RUNNING';
    task.startTime = now;
    task.phaseStartedAt = now;
    task.actualStartMs = Date.now();
    if (run.phase === 'PENDING') run.phase = 'RUNNING';
    this.armTaskDeadline(run, task, now);
    const started = startLoop(task.spec, this.dynamicContext(run, task));
    if ('error' in started) {
      this.endExecution(run, task, outcome('FAILED', started.error), { error: started.error }, 0, now);
      return;
    }
    task.forEach = started.state;
    // advanceLoop runs from progress(), right after this task was started.
  }

  /** Schedule iterations into free slots; end the loop once every iteration has ended. */
  private advanceLoop(run: RunRecord, loop: TaskRun, now: number): void {
    const state = loop.forEach;
    if (!state || loop.phase !== 'RUNNING' || run.stopping) return;
    for (let slots = freeSlots(state); slots > 0; slots--) {
      const index = state.iterations.length;
      const nested = loop.spec.for_each_task!.task as TaskSettings;
      const iteration = this.newTaskRun(nested, 0, now);
      iteration.iteration = { parentTaskRunId: loop.runId, index, input: state.items[index] };
      state.iterations.push(iteration);
      this.deps.runs.addTaskRun(run, iteration);
      this.startWork(run, iteration, now);
    }
    if (loopDone(state)) {
      const end = loopOutcome(state);
      this.endExecution(run, loop, end.outcome, end.output, 0, now);
    }
  }

  /** End the iterations of a loop that is being stopped, at once, with the loop's outcome. */
  private stopIterations(loop: TaskRun, end: Outcome, now: number): void {
    for (const iteration of loop.forEach?.iterations ?? []) {
      if (isTerminal(iteration.phase)) continue;
      if (iteration.phase === 'TERMINATING') iteration.cleanupMs = now - iteration.phaseStartedAt;
      else this.interruptTask(iteration, end, now);
      iteration.phase = iteration.outcome?.lifeCycle ?? end.lifeCycle;
      iteration.endTime = now;
      delete iteration.phaseEndsAt;
      iteration.actualEndMs = Date.now();
      iteration.gen++;
    }
  }

  /** End a task that never started (skipped, or cancelled while blocked or queued). */
  private settleUnstarted(task: TaskRun, end: Outcome, now: number): void {
    task.outcome = end;
    task.phase = end.lifeCycle;
    task.startTime = now;
    task.endTime = now;
    task.gen++;
    delete task.phaseEndsAt;
    task.actualEndMs = Date.now();
  }

  // ---- task phases ----------------------------------------------------------------------------

  private isCurrent(run: RunRecord, task?: TaskRun): boolean {
    if (this.deps.runs.get(run.runId) !== run) return false;
    if (task === undefined) return true;
    if (!task.iteration) return run.tasks.includes(task);
    const loop = loopOf(run, task);
    return loop !== undefined && run.tasks.includes(loop) && loop.forEach!.iterations.includes(task);
  }

  private scheduleTaskPhase(run: RunRecord, task: TaskRun): void {
    const at = task.phaseEndsAt;
    if (at === undefined) return;
    const gen = ++task.gen;
    this.deps.scheduler.at(at, () => {
      if (task.gen === gen && this.isCurrent(run, task)) this.onTaskPhaseEnd(run, task);
    });
  }

  /**
   * A timed phase ended. The transition is dated at its scheduled instant, not when the timer
   * happened to fire, so reported durations are exactly the scripted ones at any time scale (and a
   * run that was due during a restart's downtime catches up as if the workspace had kept running).
   */
  private onTaskPhaseEnd(run: RunRecord, task: TaskRun): void {
    const now = task.phaseEndsAt ?? this.deps.clock.now();
    switch (task.phase) {
      case 'PENDING':
        task.setupMs = now - task.phaseStartedAt;
        task.phase = 'RUNNING';
        task.phaseStartedAt = now;
        if (run.phase === 'PENDING') run.phase = 'RUNNING';
        if (task.executor === 'python') {
          delete task.phaseEndsAt;
          this.launchPython(run, task);
        } else {
          task.phaseEndsAt = now + task.plan!.executionMs;
          this.scheduleTaskPhase(run, task);
        }
        break;
      case 'RUNNING':
        this.endExecution(run, task, task.plan!.outcome, task.plan!.output, task.plan!.cleanupMs, now);
        break;
      case 'TERMINATING':
        this.completeTask(run, task, now);
        break;
      default:
        break;
    }
    this.deps.changed();
  }

  private endExecution(
    run: RunRecord,
    task: TaskRun,
    end: Outcome,
    output: TaskOutput,
    cleanupMs: number,
    now: number,
  ): void {
    task.executionMs = now - task.phaseStartedAt;
    task.outcome = end;
    task.output = output;
    // INTERNAL_ERROR and SKIPPED are not a normal completion: there is no orderly clean-up phase.
    if (end.lifeCycle !== 'TERMINATED') this.completeTask(run, task, now);
    else this.enterTerminating(run, task, cleanupMs, now);
  }

  private enterTerminating(run: RunRecord, task: TaskRun, cleanupMs: number, now: number): void {
    task.phase = 'TERMINATING';
    task.phaseStartedAt = now;
    task.phaseEndsAt = now + cleanupMs;
    this.scheduleTaskPhase(run, task);
  }

  private completeTask(run: RunRecord, task: TaskRun, now: number): void {
    if (task.phase === 'TERMINATING') task.cleanupMs = now - task.phaseStartedAt;
    task.phase = task.outcome?.lifeCycle ?? 'TERMINATED';
    task.endTime = now;
    delete task.phaseEndsAt;
    task.actualEndMs = Date.now();
    task.gen++;
    if (task.iteration) {
      // An iteration frees a slot of its loop; task-level notifications are the loop's, not its own.
      const loop = loopOf(run, task);
      if (loop) this.advanceLoop(run, loop, now);
      return;
    }
    this.deps.events.taskFinished(run, task);
    this.progress(run, now);
  }

  // ---- Python tasks ---------------------------------------------------------------------------

  private launchPython(run: RunRecord, task: TaskRun): void {
    const { options, python, tokens, clock } = this.deps;
    const pythonTask = task.spec.spark_python_task!;
    // If the file vanished since the run was created, Python itself reports it and the task fails.
    const file = localPythonFile(pythonTask.python_file) ?? pythonTask.python_file;
    const context = this.dynamicContext(run, task);
    // run-now's python_params replace the parameters of the job's Python tasks, not those of a
    // for_each loop's nested task, which carry {{input}}.
    const parameters = (task.iteration ? undefined : run.pythonParams) ?? pythonTask.parameters ?? [];
    const args = parameters.map((arg) => resolveDynamicValues(arg, context));
    // Valid while the task runs (revoked on exit); the TTL only bounds a token whose process we lost.
    const timeoutMs = (task.spec.timeout_seconds ?? 0) * 1000;
    const ttlMs = (timeoutMs > 0 ? clock.toRealMs(timeoutMs) : 60 * 60 * 1000) + 60_000;
    const { token } = tokens.issue('task', run.creator, ttlMs);
    python.launch(
      {
        taskRunId: task.runId,
        python: options.python,
        file,
        args,
        maxLogBytes: options.maxLogBytes,
        env: {
          DATABRICKS_HOST: this.deps.baseUrl(),
          DATABRICKS_TOKEN: token,
          LAKELOOP_JOB_ID: String(context.jobId),
          LAKELOOP_RUN_ID: String(context.jobRunId),
          LAKELOOP_TASK_RUN_ID: String(context.taskRunId),
          LAKELOOP_TASK_KEY: task.taskKey,
        },
      },
      (exit) => {
        tokens.revoke(token);
        this.onPythonExit(run, task, exit);
      },
    );
  }

  /** Ids as the task's clients know them: decimal text, exact beyond 2^53 (`int64-ids` dialect). */
  private dynamicContext(run: RunRecord, task: TaskRun): DynamicValueContext {
    const external = (id: number): string => String(this.deps.externalId(id));
    return {
      jobId: external(run.jobId),
      jobRunId: external(run.runId),
      taskRunId: external(task.runId),
      taskKey: task.taskKey,
      jobName: run.runName,
      jobParameters: Object.fromEntries((run.jobParameters ?? []).map((p) => [p.name, p.value])),
      ...(task.iteration ? { iteration: { input: task.iteration.input } } : {}),
    };
  }

  private onPythonExit(run: RunRecord, task: TaskRun, exit: PythonExit): void {
    if (this.shuttingDown || !this.isCurrent(run, task)) return;
    const output: TaskOutput = {
      logs: exit.logs,
      logsTruncated: exit.logsTruncated,
      ...(exit.notebookResult !== undefined ? { notebookResult: exit.notebookResult } : {}),
    };
    if (task.phase !== 'RUNNING') {
      // Cancelled or timed out: the outcome is already decided; keep what the process printed.
      task.output = { ...task.output, ...output };
      this.deps.changed();
      return;
    }
    let end: Outcome;
    if (exit.spawnError) {
      end = outcome('FAILED', exit.spawnError, { code: 'DRIVER_ERROR' });
      output.error = exit.spawnError;
    } else if (exit.exitCode === 0) {
      end = outcome('SUCCESS', '');
    } else {
      end = outcome('FAILED', TASK_FAILURE_MESSAGE, { code: 'RUN_EXECUTION_ERROR' });
      const lastLine = exit.stderrTail
        .split(/\r?\n/)
        .filter((line) => line.trim() !== '')
        .pop();
      output.error =
        lastLine ??
        (exit.exitCode !== null
          ? `Process exited with code ${exit.exitCode}`
          : `Process killed by ${exit.signal}`);
      if (exit.stderrTail) output.errorTrace = exit.stderrTail;
    }
    this.endExecution(run, task, end, output, PYTHON_CLEANUP_MS, this.deps.clock.now());
    this.deps.changed();
  }

  // ---- stopping: cancel and timeouts ----------------------------------------------------------

  private armRunDeadline(run: RunRecord, now: number): void {
    delete run.deadlineAt;
    if (run.timeoutSeconds > 0) {
      run.deadlineAt = now + run.timeoutSeconds * 1000;
      this.scheduleRunDeadline(run);
    }
  }

  private scheduleRunDeadline(run: RunRecord): void {
    const at = run.deadlineAt!;
    this.deps.scheduler.at(at, () => {
      if (run.deadlineAt !== at || !this.isCurrent(run) || isTerminal(run.phase)) return;
      if (run.stopping || run.phaseEndsAt !== undefined) return;
      this.stop(run, 'timeout', at);
      this.deps.changed();
    });
  }

  private scheduleTaskDeadline(run: RunRecord, task: TaskRun): void {
    const at = task.deadlineAt!;
    this.deps.scheduler.at(at, () => {
      if (task.deadlineAt !== at || !this.isCurrent(run, task) || run.stopping) return;
      if (task.phase !== 'PENDING' && task.phase !== 'RUNNING') return;
      const seconds = task.spec.timeout_seconds ?? 0;
      this.interruptTask(task, outcome('TIMEDOUT', `Task timed out after ${seconds} seconds.`), at);
      this.enterTerminating(run, task, STOP_CLEANUP_MS, at);
      this.deps.changed();
    });
  }

  /** Stop a started task where it is: account its time so far and kill its process. */
  private interruptTask(task: TaskRun, end: Outcome, now: number): void {
    if (task.phase === 'PENDING') task.setupMs = now - task.phaseStartedAt;
    if (task.phase === 'RUNNING') task.executionMs = now - task.phaseStartedAt;
    if (task.executor === 'python') this.deps.python.kill(task.runId);
    if (task.executor === 'for_each') this.stopIterations(task, end, now);
    task.outcome = end;
  }

  private stop(run: RunRecord, reason: 'user' | 'timeout', now: number): void {
    run.stopping = reason;
    run.phase = 'TERMINATING';
    const end =
      reason === 'user'
        ? cancelledOutcome()
        : outcome('TIMEDOUT', `Run timed out after ${run.timeoutSeconds} seconds.`, { code: 'CANCELED' });
    // "UPSTREAM_CANCELED: The run was skipped because an upstream task was canceled" (RunResultState):
    // a blocked task waits on a task the cancel stops, so it is skipped as such [U: Databricks does
    // not say what a cancel shows for tasks that had not started].
    const upstreamCanceled = outcome('UPSTREAM_CANCELED', 'Upstream task(s) were canceled.', {
      lifeCycle: 'SKIPPED',
    });
    for (const task of run.tasks) {
      if (isTerminal(task.phase)) continue;
      if (task.phase === 'BLOCKED' || task.phase === 'QUEUED') {
        this.settleUnstarted(
          task,
          reason === 'user' && task.phase === 'BLOCKED' ? upstreamCanceled : end,
          now,
        );
        continue;
      }
      // A task already cleaning up has finished its work; let it complete with its own outcome.
      if (task.phase === 'TERMINATING') continue;
      this.interruptTask(task, end, now);
      this.enterTerminating(run, task, STOP_CLEANUP_MS, now);
    }
    this.progress(run, now);
  }

  // ---- finishing ------------------------------------------------------------------------------

  private beginRunCleanup(run: RunRecord, now: number): void {
    run.phase = 'TERMINATING';
    const elapsed = now - (run.activeSince ?? now);
    run.phaseEndsAt = now + Math.min(RUN_CLEANUP_MAX_MS, Math.floor(elapsed * RUN_CLEANUP_SHARE));
    this.scheduleRunCleanup(run);
  }

  private scheduleRunCleanup(run: RunRecord): void {
    const gen = ++run.gen;
    this.deps.scheduler.at(run.phaseEndsAt!, () => {
      if (run.gen === gen && this.isCurrent(run)) this.finalizeRun(run, run.phaseEndsAt);
    });
  }

  private finalizeRun(run: RunRecord, at?: number): void {
    const now = at ?? this.deps.clock.now();
    const end = rollUp(run, this.deps.options.failedRunLifeCycle);
    run.outcome = end;
    run.phase = end.lifeCycle;
    run.endTime = now;
    delete run.phaseEndsAt;
    delete run.deadlineAt;
    run.activeMsBefore += now - (run.activeSince ?? now);
    delete run.activeSince;
    run.actualEndMs = Date.now();
    run.gen++;
    const entry = run.history[run.history.length - 1];
    if (entry) {
      entry.endTime = now;
      entry.outcome = end;
    }
    this.deps.events.runFinished(run);
    if (run.runType === 'JOB_RUN') this.startQueued(run.jobId);
    this.deps.changed();
  }
}

function cancelledOutcome(): Outcome {
  return outcome('CANCELED', 'Run cancelled.', { code: 'USER_CANCELED' });
}
