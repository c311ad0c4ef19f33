/**
 * Structural checks on a task list before anything is stored or run: unique keys, dependencies that
 * exist, no cycles, and for_each inputs that are a JSON array when written literally. Databricks
 * rejects such jobs with 400 INVALID_PARAMETER_VALUE.
 */
import { invalidParameter } from '../http/api-error.js';
import { isDynamicReference, parseForEachInputs } from '../tasks/for-each-inputs.js';
import type { TaskSettings } from './job-settings-schema.js';

export function validateTaskGraph(tasks: readonly TaskSettings[]): void {
  const keys = new Set<string>();
  for (const task of tasks) {
    if (keys.has(task.task_key)) throw invalidParameter(`Task key ${task.task_key} is not unique.`);
    keys.add(task.task_key);
  }
  for (const task of tasks) {
    for (const dep of task.depends_on ?? []) {
      if (!keys.has(dep.task_key)) {
        throw invalidParameter(`Task ${task.task_key} depends on ${dep.task_key}, which does not exist.`);
      }
      if (dep.task_key === task.task_key) throw invalidParameter(`Task ${task.task_key} depends on itself.`);
    }
  }
  const cycle = findCycle(tasks);
  if (cycle) throw invalidParameter(`The task dependencies contain a cycle: ${cycle.join(' -> ')}.`);
  tasks.forEach(checkForEachInputs);
}

/**
 * A literal `inputs` must parse as a JSON array; a reference is resolved when the task starts
 * (docs.databricks.com/jobs/for-each.html). Where the check happens on a workspace is [U].
 */
function checkForEachInputs(task: TaskSettings, index: number): void {
  const inputs = task.for_each_task?.inputs;
  if (inputs === undefined || isDynamicReference(inputs)) return;
  const parsed = parseForEachInputs(inputs);
  if ('error' in parsed) {
    throw invalidParameter(`Invalid value for field tasks[${index}].for_each_task.inputs: ${parsed.error}`);
  }
}

function findCycle(tasks: readonly TaskSettings[]): string[] | undefined {
  const deps = new Map(tasks.map((t) => [t.task_key, (t.depends_on ?? []).map((d) => d.task_key)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (key: string): string[] | undefined => {
    const seen = state.get(key);
    if (seen === 'done') return undefined;
    if (seen === 'visiting') return [...stack.slice(stack.indexOf(key)), key];
    state.set(key, 'visiting');
    stack.push(key);
    for (const next of deps.get(key) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(key, 'done');
    return undefined;
  };
  for (const task of tasks) {
    const cycle = visit(task.task_key);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every task downstream of `roots` (not including them), following depends_on edges backwards. */
export function dependentsOf(tasks: readonly TaskSettings[], roots: Iterable<string>): Set<string> {
  const children = new Map<string, string[]>();
  for (const task of tasks) {
    for (const dep of task.depends_on ?? []) {
      children.set(dep.task_key, [...(children.get(dep.task_key) ?? []), task.task_key]);
    }
  }
  const result = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const key = queue.shift()!;
    for (const child of children.get(key) ?? []) {
      if (!result.has(child)) {
        result.add(child);
        queue.push(child);
      }
    }
  }
  return result;
}
