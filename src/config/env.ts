/**
 * Reading settings from the environment: plain variables, `NAME_FILE` indirection for mounted
 * secrets, and the local stack's `.lakeloop/stack.env`. The only module that touches process.env.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

/** An environment: variable name to value. */
export type Env = Record<string, string | undefined>;

/** Thrown when settings are missing or malformed; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Resolves `NAME` or `NAME_FILE` (the file's content, trimmed), never both. Secrets mounted by
 * Kubernetes or Docker arrive as files; the value itself is never echoed in errors.
 */
export function readSetting(env: Env, name: string, problems: string[]): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file) {
    problems.push(`${name} and ${name}_FILE are both set: set only one of them`);
    return undefined;
  }
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      problems.push(
        `${name}_FILE=${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? err})`,
      );
      return undefined;
    }
  }
  return direct === '' ? undefined : direct;
}

/** Parses KEY=VALUE lines (comments and blank lines ignored; optional surrounding quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      value = value.slice(1, -1);
    }
    out[key] = value;
  }
  return out;
}

export const STACK_ENV_RELATIVE_PATH = path.join('.lakeloop', 'stack.env');

/**
 * The process environment, with `.lakeloop/stack.env` (written by `npm run stack`) filled in
 * underneath it, so `npm run worker` and `lakeloop` work against the local stack with no flags.
 * Explicit environment variables always win. `LAKELOOP_STACK_ENV=off` disables the file.
 */
export function environmentWithStack(env: Env = process.env, cwd = process.cwd()): Env {
  const file = stackEnvFile(env, cwd);
  if (!file) return env;
  return { ...parseEnvFile(readFileSync(file, 'utf8')), ...env };
}

/** The stack settings file environmentWithStack reads, when there is one. */
function stackEnvFile(env: Env, cwd: string): string | undefined {
  if (env.LAKELOOP_STACK_ENV === 'off') return undefined;
  const file = env.LAKELOOP_STACK_ENV || path.join(cwd, STACK_ENV_RELATIVE_PATH);
  return existsSync(file) ? file : undefined;
}

/**
 * The Temporal address the local stack's settings file gives, when nothing in the environment
 * overrides it: a client using it talks to the local stack, and can say so when nothing answers (the
 * file is left behind by a stack that was killed before it could remove it).
 */
export function stackTemporalAddress(
  env: Env = process.env,
  cwd = process.cwd(),
): { file: string; address: string } | undefined {
  const file = stackEnvFile(env, cwd);
  if (!file || env.TEMPORAL_ADDRESS) return undefined;
  const address = parseEnvFile(readFileSync(file, 'utf8')).TEMPORAL_ADDRESS;
  return address ? { file, address } : undefined;
}

/** Turns zod issues into lines that name the environment variable and what is expected. */
export function describeIssues(error: z.ZodError, names: Record<string, string>): string[] {
  return error.issues.map((issue) => {
    const key = String(issue.path[0] ?? '');
    const variable = names[key] ?? key;
    return `${variable}: ${issue.message}`;
  });
}
