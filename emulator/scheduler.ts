/**
 * One timer for the whole emulator. Every pending transition (a task finishing its setup, a timeout
 * firing, a run finishing its cleanup) is an entry in a min-heap keyed by its emulated due time; a
 * single setTimeout is armed for the earliest. Ten thousand concurrent runs therefore cost ten
 * thousand small heap entries, not ten thousand Node timers.
 *
 * Entries are never removed early: a caller that changes its mind (a cancel, a repair) bumps a
 * generation counter on its record and the stale callback checks it and does nothing.
 */
import type { EmulatedClock } from './clock.js';

interface Entry {
  at: number;
  seq: number;
  fire: () => void;
}

/** setTimeout cannot wait longer than 2^31-1 ms; we simply wake up and re-arm. */
const MAX_TIMER_MS = 2_147_483_647;
/** Work done in one wake-up before yielding to I/O, so a burst of due entries cannot starve requests. */
const MAX_ENTRIES_PER_TICK = 5_000;

export class Scheduler {
  private readonly heap: Entry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly clock: EmulatedClock,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Run `fire` once the emulated clock reaches `at`. */
  at(at: number, fire: () => void): void {
    if (this.stopped) return;
    this.push({ at, seq: this.seq++, fire });
    if (at < this.armedFor) this.arm();
  }

  get size(): number {
    return this.heap.length;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.heap[0];
    if (!next || this.stopped) {
      this.armedFor = Number.POSITIVE_INFINITY;
      return;
    }
    this.armedFor = next.at;
    const delay = Math.min(MAX_TIMER_MS, Math.ceil(this.clock.realDelayUntil(next.at)));
    this.timer = setTimeout(() => this.tick(), delay);
    // The HTTP server keeps the process alive; pending transitions alone must not.
    this.timer.unref();
  }

  private tick(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    let processed = 0;
    while (!this.stopped && processed < MAX_ENTRIES_PER_TICK) {
      const next = this.heap[0];
      if (!next || next.at > this.clock.now()) break;
      this.pop();
      processed++;
      try {
        next.fire();
      } catch (error) {
        this.onError(error);
      }
    }
    if (processed >= MAX_ENTRIES_PER_TICK) {
      setImmediate(() => this.tick());
      return;
    }
    this.arm();
  }

  private before(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!this.before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.before(heap[right]!, heap[left]!) ? right : left;
      if (!this.before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}
