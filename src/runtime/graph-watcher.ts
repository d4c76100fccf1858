import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface GraphWatcherOptions {
  /** Quiet time after the last change before `onChange`: an editor's save is often several writes. */
  debounceMs?: number;
  /** The files that changed since the last call. */
  onChange(paths: string[]): void;
  /** A directory that could not be watched (e.g. removed). */
  onError(error: Error, dir: string): void;
}

/**
 * Watches files through their directories (one fs.watch per directory, filtered by name): many
 * editors save by writing a new file and renaming it over the old one, after which a watch on
 * the file itself would be watching nothing.
 */
export class GraphWatcher {
  private readonly dirs = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: GraphWatcherOptions) {}

  add(path: string): void {
    if (this.closed) return;
    const dir = dirname(path);
    let entry = this.dirs.get(dir);
    if (!entry) {
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: false }, (_event, name) => this.onEvent(dir, name));
      } catch (error) {
        this.options.onError(error as Error, dir);
        return;
      }
      watcher.on("error", (error) => {
        this.options.onError(error, dir);
        watcher.close();
        this.dirs.delete(dir);
      });
      entry = { watcher, names: new Set() };
      this.dirs.set(dir, entry);
    }
    entry.names.add(basename(path));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const { watcher } of this.dirs.values()) watcher.close();
    this.dirs.clear();
  }

  private onEvent(dir: string, name: string | Buffer | null): void {
    const entry = this.dirs.get(dir);
    if (!entry) return;
    // No name (some platforms): any watched file of the directory may have changed.
    const names = name === null ? [...entry.names] : entry.names.has(String(name)) ? [String(name)] : [];
    if (names.length === 0) return;
    for (const file of names) this.changed.add(join(dir, file));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const paths = [...this.changed];
      this.changed.clear();
      this.options.onChange(paths);
    }, this.options.debounceMs ?? 100);
  }
}
