/**
 * Artifact bytes on local disk, laid out as `mlflow server --serve-artifacts --artifacts-destination
 * DIR` lays them out: `<root>/<experiment_id>/<run_id>/artifacts/<artifact path>`. Paths come from
 * clients, so each is checked to stay inside the root (no `..`, no absolute paths, no empty segments).
 */
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { ReadStream } from 'node:fs';
import path from 'node:path';
import { invalidParameter, resourceDoesNotExist } from '../http/api-error.js';

export interface ArtifactEntry {
  /** Relative to the listed directory's root, with `/` separators. */
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** One entry of a directory, as the Files API lists it. */
export interface DirectoryEntry {
  name: string;
  isDirectory: boolean;
  size: number;
  modifiedMs: number;
}

export class ArtifactStore {
  constructor(readonly root: string) {}

  /** The file system path of a relative artifact path, refusing anything that escapes the root. */
  resolve(relative: string): string {
    const parts = relative.split('/');
    if (
      relative.startsWith('/') ||
      parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))
    ) {
      throw invalidParameter(`Invalid artifact path: '${relative}'`);
    }
    return path.join(this.root, ...parts);
  }

  async write(relative: string, data: Buffer): Promise<void> {
    const target = this.resolve(relative);
    await mkdir(path.dirname(target), { recursive: true });
    // Write then rename, so a concurrent download never sees half a file.
    const temp = `${target}.${process.pid}.${Date.now()}.partial`;
    await writeFile(temp, data);
    await rename(temp, target);
  }

  /** A stream of the file and its size; 404 RESOURCE_DOES_NOT_EXIST for a directory or missing file. */
  async open(relative: string): Promise<{ stream: ReadStream; size: number }> {
    const target = this.resolve(relative);
    const info = await stat(target).catch(() => undefined);
    if (!info?.isFile()) throw resourceDoesNotExist(`Artifact '${relative}' does not exist.`);
    return { stream: createReadStream(target), size: info.size };
  }

  /**
   * The direct children of `directory` (relative to the root), sorted by name, their paths relative
   * to `base`. A missing directory lists as empty, as MLflow's local artifact repository does.
   */
  async list(directory: string, base: string): Promise<ArtifactEntry[]> {
    const target = directory === '' ? this.root : this.resolve(directory);
    const entries = await readdir(target, { withFileTypes: true }).catch(() => []);
    const result: ArtifactEntry[] = [];
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name.endsWith('.partial')) continue;
      const full = directory === '' ? entry.name : `${directory}/${entry.name}`;
      const relativePath = base === '' ? full : full.slice(base.length + 1);
      if (entry.isDirectory()) result.push({ path: relativePath, is_dir: true });
      else if (entry.isFile()) {
        const info = await stat(path.join(target, entry.name));
        result.push({ path: relativePath, is_dir: false, file_size: info.size });
      }
    }
    return result;
  }

  /** What is at `relative` (undefined when nothing is); the root itself is `''`. */
  async stat(
    relative: string,
  ): Promise<{ isDirectory: boolean; size: number; modifiedMs: number } | undefined> {
    const info = await stat(relative === '' ? this.root : this.resolve(relative)).catch(() => undefined);
    if (!info || (!info.isFile() && !info.isDirectory())) return undefined;
    return { isDirectory: info.isDirectory(), size: info.size, modifiedMs: info.mtimeMs };
  }

  /** The direct children of a directory, sorted by name (partial uploads left out). */
  async entries(directory: string): Promise<DirectoryEntry[]> {
    const target = directory === '' ? this.root : this.resolve(directory);
    const names = (await readdir(target).catch(() => [] as string[])).filter((n) => !n.endsWith('.partial'));
    const result: DirectoryEntry[] = [];
    for (const name of names.sort()) {
      const info = await stat(path.join(target, name)).catch(() => undefined);
      if (!info || (!info.isFile() && !info.isDirectory())) continue;
      result.push({ name, isDirectory: info.isDirectory(), size: info.size, modifiedMs: info.mtimeMs });
    }
    return result;
  }

  async mkdir(relative: string): Promise<void> {
    await mkdir(this.resolve(relative), { recursive: true });
  }

  /** Deletes a file, or a directory with everything in it. */
  async remove(relative: string): Promise<void> {
    await rm(this.resolve(relative), { recursive: true, force: true });
  }
}
