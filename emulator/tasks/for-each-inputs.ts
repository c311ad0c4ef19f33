/**
 * The `inputs` of a for_each task: "Array for task to iterate on. This can be a JSON string or a
 * reference to an array parameter" (databricks-sdk-py `service/jobs.py` ForEachTask). The docs list
 * three sources — a JSON array written into the task, task values, and job parameters
 * (docs.databricks.com/jobs/for-each.html, "What parameter types can I use with the For each task?");
 * "a job parameter value can be any valid JSON, including arrays" (…/jobs/job-parameters.html).
 * Each element reaches the nested task through `{{input}}`, or `{{input.<key>}}` for one field of an
 * object element (…/jobs/for-each.html, step "To reference parameters passed from the For each task").
 */

/** A reference (`{{job.parameters.list}}`) is resolved when the task starts, not when it is created. */
export function isDynamicReference(inputs: string): boolean {
  return /\{\{[^}]*\}\}/.test(inputs);
}

export type ParsedInputs = { items: unknown[] } | { error: string };

/** The elements of an inputs array, or why it is not one. The messages are ours [U]. */
export function parseForEachInputs(text: string): ParsedInputs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: `For each inputs must be a JSON array; could not parse ${abbreviate(text)}.` };
  }
  if (!Array.isArray(parsed))
    return { error: `For each inputs must be a JSON array, got ${abbreviate(text)}.` };
  return { items: parsed };
}

/** What `{{input}}` becomes: a string element as it is, anything else as its JSON text. */
export function inputText(item: unknown): string {
  return typeof item === 'string' ? item : JSON.stringify(item);
}

/** What `{{input.<key>}}` becomes, or undefined when the element has no such field. */
export function inputField(item: unknown, key: string): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  if (!Object.prototype.hasOwnProperty.call(item, key)) return undefined;
  return inputText((item as Record<string, unknown>)[key]);
}

function abbreviate(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}
