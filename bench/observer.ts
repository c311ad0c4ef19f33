/**
 * What the bench measures inside its own process:
 *  - when the worker first *saw* each run terminal: a wrapper around global fetch notes the receive
 *    time of every `runs/get` response to the emulator and, after parsing a clone, keeps the first one
 *    whose state is terminal. In webhook mode that is the confirming runs/get after the notification;
 *    in poll mode the poll that found the run finished. (The workflow's close time would be later still.)
 *  - peak RSS (sampled every 100 ms) and CPU seconds (process.cpuUsage deltas) of this process.
 */
const TERMINAL = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

/**
 * Observers installed now, by emulator URL. Arms that run at once (the uncompressed scenario) each
 * watch their own emulator through one wrapper, installed by the first and removed by the last.
 */
const watching = new Map<string, Map<number, number>>();
let unwrapped: typeof fetch | undefined;

function observing(url: string): Map<number, number> | undefined {
  for (const [emulatorUrl, seen] of watching) {
    // The slash keeps http://127.0.0.1:4000 from matching a request to http://127.0.0.1:40001.
    if (url.startsWith(`${emulatorUrl}/`)) return seen;
  }
  return undefined;
}

function wrapFetch(): void {
  const original = globalThis.fetch;
  unwrapped = original;
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
    const response = await original(input, init);
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const seen = url.includes('/jobs/runs/get?') && response.ok ? observing(url) : undefined;
    if (seen) {
      const at = Date.now();
      const runId = Number(new URL(url).searchParams.get('run_id'));
      if (!seen.has(runId)) {
        response
          .clone()
          .json()
          .then((json: unknown) => {
            const body = json as { state?: { life_cycle_state?: string }; status?: { state?: string } };
            const terminal =
              TERMINAL.has(body.state?.life_cycle_state ?? '') || body.status?.state === 'TERMINATED';
            if (terminal && !seen.has(runId)) seen.set(runId, at);
          })
          .catch(() => undefined);
      }
    }
    return response;
  };
}

export class TerminalObserver {
  /** run_id → wall-clock ms at which the first terminal runs/get response arrived. */
  readonly observedAt = new Map<number, number>();
  private emulatorUrl: string | undefined;

  install(emulatorUrl: string): void {
    if (watching.size === 0) wrapFetch();
    watching.set(emulatorUrl, this.observedAt);
    this.emulatorUrl = emulatorUrl;
  }

  uninstall(): void {
    if (this.emulatorUrl === undefined) return;
    watching.delete(this.emulatorUrl);
    this.emulatorUrl = undefined;
    if (watching.size === 0 && unwrapped) {
      globalThis.fetch = unwrapped;
      unwrapped = undefined;
    }
  }
}

export class ResourceSampler {
  private peakRss = 0;
  private timer: NodeJS.Timeout | undefined;
  private cpuStart: NodeJS.CpuUsage | undefined;

  start(): void {
    this.peakRss = process.memoryUsage.rss();
    this.cpuStart = process.cpuUsage();
    this.timer = setInterval(() => {
      this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    }, 100);
  }

  stop(): { peakRssMb: number; cpuSeconds: number } {
    clearInterval(this.timer);
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    const cpu = process.cpuUsage(this.cpuStart);
    return { peakRssMb: this.peakRss / 1024 / 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  }
}
