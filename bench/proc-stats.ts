/**
 * Memory and CPU of other processes (worker processes, temporal-server, PostgreSQL), read from Linux's
 * /proc as the bench runs — the figures ResourceSampler (bench/observer.ts) takes of the bench
 * process itself, for processes it only started.
 *
 *  - CPU: utime + stime of /proc/PID/stat (fields 14 and 15, in clock ticks; proc(5)), as deltas over
 *    the measured window, so start-up (module loading, bundle load) is left out. A process tree (the
 *    PostgreSQL postmaster and its backends) adds cutime + cstime of its root: backends that ended
 *    during the window and were reaped count there.
 *  - Memory: the peak over samples taken every 250 ms in the window. One process: VmRSS of
 *    /proc/PID/status. A tree: the sum of Pss of /proc/PID/smaps_rollup (proportional set size), as
 *    PostgreSQL's backends share its buffers and summed RSS would count them once per backend.
 *
 * Linux only (the bench's machine); on another system the figures are null.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second (sysconf(_SC_CLK_TCK)); 100 on every Linux the bench has met. */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields after "PID (comm) ": comm may hold spaces and parentheses, the fields after it do not. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // gone
  }
}

/** CPU seconds of one process (and, with `reaped`, of its waited-for children). */
function cpuSecondsOf(pid: number, reaped = false): number {
  const f = statFields(pid);
  if (!f) return 0;
  // stat fields 14–17 (utime, stime, cutime, cstime) are at 11–14 here (counting from state = 3).
  const ticks = Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
  return ticks / CLOCK_TICKS;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (Number.isFinite(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

export interface ProcessFigures {
  /** Peak over the window's samples (VmRSS; a tree: summed Pss). */
  peakRssMb: number;
  cpuSeconds: number;
}

/** One watched process, or with `tree` the process and everything below it (PostgreSQL's backends). */
export interface Watched {
  name: string;
  pid: number;
  tree?: boolean;
}

const isLinux = process.platform === 'linux';

/** Samples the watched processes from start() to stop(). */
export class ProcessSampler {
  private readonly peakKb = new Map<string, number>();
  private readonly cpuAtStart = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly watched: readonly Watched[]) {}

  private cpu(w: Watched): number {
    if (!w.tree) return cpuSecondsOf(w.pid);
    const [root, ...rest] = processTree(w.pid);
    return cpuSecondsOf(root!, true) + rest.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0);
  }

  private memoryKb(w: Watched): number {
    return w.tree ? processTree(w.pid).reduce((sum, pid) => sum + pssKb(pid), 0) : statusKb(w.pid, 'VmRSS');
  }

  private sample(): void {
    for (const w of this.watched) {
      this.peakKb.set(w.name, Math.max(this.peakKb.get(w.name) ?? 0, this.memoryKb(w)));
    }
  }

  start(): void {
    if (!isLinux) return;
    for (const w of this.watched) this.cpuAtStart.set(w.name, this.cpu(w));
    this.sample();
    this.timer = setInterval(() => this.sample(), 250);
  }

  /** Call while the processes still run: their figures are gone once they exit. */
  stop(): Map<string, ProcessFigures | null> {
    clearInterval(this.timer);
    const figures = new Map<string, ProcessFigures | null>();
    if (!isLinux) {
      for (const w of this.watched) figures.set(w.name, null);
      return figures;
    }
    this.sample();
    for (const w of this.watched) {
      figures.set(w.name, {
        peakRssMb: Math.round(((this.peakKb.get(w.name) ?? 0) / 1024) * 10) / 10,
        cpuSeconds: Math.round((this.cpu(w) - (this.cpuAtStart.get(w.name) ?? 0)) * 100) / 100,
      });
    }
    return figures;
  }
}

/** A process's lifetime peak resident set (VmHWM), start-up included. */
export function lifetimePeakRssMb(pid: number): number {
  return Math.round((statusKb(pid, 'VmHWM') / 1024) * 10) / 10;
}
