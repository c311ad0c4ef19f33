/**
 * CI has no Docker engine, so docker-compose.yml and the Dockerfile cannot be run here. These checks
 * catch what usually breaks them: a service the worker needs is missing, an address or port does not
 * line up, or an environment variable name is one src/config does not read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { projectRoot } from '../scripts/lib/temporal-cli.js';
import { TEMPORAL_SERVER_VERSION } from '../scripts/lib/cluster/build-server.js';
import { CONFIG_TEMPLATE } from '../scripts/lib/cluster/temporal-config.js';
import { KNOWN_ENV_NAMES } from '../src/config/index.js';
import { LAKELOOP_SEARCH_ATTRIBUTES, searchAttributeCliFlags } from '../src/shared/search-attributes.js';

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
const compose = parse(readFileSync(path.join(projectRoot, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const dockerfile = readFileSync(path.join(projectRoot, 'Dockerfile'), 'utf8');

/** "host:port" → the service that host names and the container port it must expose. */
function containerPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((p) => Number(p.split(':').at(-1)));
}

describe('docker-compose.yml', () => {
  test('has every service the worker needs', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['postgresql', 'temporal-schema', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
  });

  test('pins every image (no implicit or "latest" tags)', () => {
    for (const [name, service] of Object.entries(services)) {
      if (!service.image) continue;
      expect(`${name}: ${service.image}`).toMatch(/:[0-9][\w.-]*$/);
    }
  });

  test('the worker reads only variables src/config knows, and reaches Temporal where it listens', () => {
    const worker = services.worker!;
    const env = worker.environment ?? {};
    expect(Object.keys(env).filter((name) => !KNOWN_ENV_NAMES.includes(name))).toEqual([]);
    const [host, port] = env.TEMPORAL_ADDRESS!.split(':');
    expect(services[host!]).toBeDefined();
    expect(containerPorts(services[host!]!)).toContain(Number(port));
    expect(services['temporal-ui']!.environment!.TEMPORAL_ADDRESS).toBe(env.TEMPORAL_ADDRESS);
  });

  test('runs the Temporal server `npm run stack -- --cluster` builds, on the same SQL plugin and schema', () => {
    const tag = (service: string) => services[service]!.image!.split(':').at(-1)!;
    const minor = (version: string) => version.replace(/^v/, '').split('.').slice(0, 2).join('.');
    expect(tag('temporal')).toBe(TEMPORAL_SERVER_VERSION.replace(/^v/, ''));
    // The schema and setup tools come from the same minor line (see the comment in the file).
    expect(minor(tag('temporal-schema'))).toBe(minor(TEMPORAL_SERVER_VERSION));
    expect(minor(tag('temporal-setup'))).toBe(minor(TEMPORAL_SERVER_VERSION));
    const plugins = new Set([...CONFIG_TEMPLATE.matchAll(/pluginName:\s*"?(\w+)/g)].map((m) => m[1]));
    expect([...plugins]).toEqual(['postgres12']);
    expect(services.temporal!.environment!.DB).toBe('postgres12');
    const schemaScript = services['temporal-schema']!.command!.join('\n');
    expect(schemaScript).toContain('--plugin postgres12');
    // The directories the stack applies from the module (build-server.ts: schema/postgresql/v12/{temporal,visibility}/versioned).
    expect(schemaScript).toContain('/etc/temporal/schema/postgresql/v12/$$schema/versioned');
    expect(schemaScript).toMatch(/for db in temporal temporal_visibility;/);
  });

  test('the UI is published on 8233 like the local stack', () => {
    expect(services['temporal-ui']!.ports).toContain('8233:8080');
  });

  test('the worker starts after the search attributes are registered, with the same list as the stack', () => {
    expect(services.worker!.depends_on?.['temporal-setup']?.condition).toBe('service_completed_successfully');
    const script = services['temporal-setup']!.command!.join('\n');
    const registered = [
      ...script.matchAll(/(\w+)=(Text|Keyword|Int|Double|Bool|Datetime|KeywordList)\b/g),
    ].map((m) => `${m[1]}=${m[2]}`);
    // NAME=Type exactly as `npm run stack` passes them to the dev server.
    const expected = searchAttributeCliFlags().filter((flag) => flag !== '--search-attribute');
    expect(expected).toHaveLength(LAKELOOP_SEARCH_ATTRIBUTES.length);
    expect(registered.sort()).toEqual(expected.sort());
  });

  test('the worker is built from this repository with a Dockerfile that runs the compiled worker as non-root', () => {
    expect(services.worker!.build).toBe('.');
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toContain('CMD ["node", "lib/src/worker.js"]');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    // The CMD's file is what tsconfig.build.json compiles from src/worker.ts.
    const build = JSON.parse(
      readFileSync(path.join(projectRoot, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, ''),
    ) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(build.compilerOptions).toMatchObject({ outDir: 'lib', rootDir: '.' });
    expect(existsSync(path.join(projectRoot, 'src', 'worker.ts'))).toBe(true);
    // Every file the build stage copies exists.
    for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const file of source!.split(/\s+/))
        expect(`${file}: ${existsSync(path.join(projectRoot, file))}`).toBe(`${file}: true`);
    }
  });
});
