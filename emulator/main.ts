/**
 * The emulator as a process: `npm run emulator -- --pat TOKEN [flags]` (or `--service-principal
 * ID:SECRET`, or `--federation-policy JSON`, as the credential source). Prints exactly one line,
 * "emulator listening on http://127.0.0.1:PORT", once it accepts requests; SIGINT/SIGTERM shut it
 * down cleanly (task processes killed, state file written).
 */
import { USAGE, parseCommandLine } from './cli-options.js';
import type { EmulatorOptions } from './options.js';
import { resolveOptions } from './options.js';
import { startEmulator } from './server.js';

function credentialSources(options: EmulatorOptions): number {
  return (
    options.pats.length + (options.servicePrincipals?.length ?? 0) + (options.federationPolicies?.length ?? 0)
  );
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2));
    // Check the whole configuration (e.g. a policy naming an unknown service principal) as a usage error.
    if (parsed !== 'help' && credentialSources(parsed) > 0) resolveOptions(parsed);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (credentialSources(parsed) === 0) {
    process.stderr.write(
      'the emulator needs at least one credential source ' +
        `(--pat, --pat-file, --service-principal, --service-principal-file or --federation-policy)\n\n${USAGE}\n`,
    );
    process.exit(2);
  }
  const emulator = await startEmulator(parsed);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`emulator: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Announce readiness only once a stop signal would be handled.
  process.stdout.write(`emulator listening on ${emulator.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
