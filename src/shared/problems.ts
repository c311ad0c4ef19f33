import type { z } from 'zod';

/** zod issues as lines that start with the field's path ("wait.mode: …"); unknown keys each get a line. */
export function describeProblems(error: z.ZodError, root: string): string[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown field`)
      : [`${issue.path.join('.') || root}: ${issue.message}`],
  );
}
