/**
 * `~/.databrickscfg` profiles, as the Databricks CLI and SDKs read them: INI sections of `key = value`.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env } from './env.js';

export type Profiles = Record<string, Record<string, string>>;

export function parseDatabricksConfig(text: string): Profiles {
  const profiles: Profiles = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = profiles[header[1]!.trim()] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (section && eq > 0) section[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return profiles;
}

export interface ProfileLookup {
  /** The chosen profile's keys, or {} when no profile applies. */
  values: Record<string, string>;
  /** "~/.databrickscfg [prod]", for messages. */
  source?: string;
  problem?: string;
}

/**
 * The profile named by DATABRICKS_CONFIG_PROFILE, else [DEFAULT] when the file has one. A named
 * profile that does not exist is an error; a missing file with no profile named is not.
 */
export function lookupProfile(env: Env): ProfileLookup {
  const file = env.DATABRICKS_CONFIG_FILE || path.join(env.HOME || os.homedir(), '.databrickscfg');
  const wanted = env.DATABRICKS_CONFIG_PROFILE;
  if (!existsSync(file)) {
    return wanted
      ? { values: {}, problem: `DATABRICKS_CONFIG_PROFILE=${wanted}: the config file ${file} does not exist` }
      : { values: {} };
  }
  const profiles = parseDatabricksConfig(readFileSync(file, 'utf8'));
  const name = wanted || (profiles.DEFAULT ? 'DEFAULT' : undefined);
  if (!name) return { values: {} };
  const values = profiles[name];
  if (!values) {
    return {
      values: {},
      problem: `DATABRICKS_CONFIG_PROFILE=${name}: no [${name}] profile in ${file} (found: ${Object.keys(profiles).join(', ') || 'none'})`,
    };
  }
  return { values, source: `${file} [${name}]` };
}
