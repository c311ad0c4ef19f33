/**
 * The --state file: written atomically (temp file, fsync, rename), so a crash mid-write leaves the
 * previous version intact, and debounced, so a burst of changes costs one write. Changes are written
 * at most `debounceMs` after they happen, however busy the emulator is.
 */
import { readFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { Snapshot } from './snapshot.js';
import { isSnapshot } from './snapshot.js';

export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly debounceMs: number,
    private readonly snapshot: () => Snapshot,
    private readonly log: (line: string) => void,
  ) {}

  /** The saved snapshot, or undefined when the file does not exist yet. Refuses a corrupt file. */
  static load(path: string): Snapshot | undefined {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const value: unknown = JSON.parse(text);
    // Starting empty over a file we cannot read would silently lose the runs it holds.
    if (!isSnapshot(value)) throw new Error(`${path} is not an emulator state file (or has another version)`);
    return value;
  }

  markDirty(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Write now if anything changed, after any write in progress. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
    });
    await this.writing;
  }

  private async write(): Promise<void> {
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      const data = JSON.stringify(this.snapshot());
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.path);
    } catch (error) {
      this.dirty = true;
      this.log(`emulator: could not write state file ${this.path}: ${(error as Error).message}`);
      await rm(temp, { force: true }).catch(() => undefined);
    }
  }
}
