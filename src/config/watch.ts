/**
 * Follows the config file for a long-running process (the server): a saved change is loaded and
 * handed over; a broken one is reported and the last good config stays in force. Watches the
 * directory, not the file, because editors and atomic writes replace the file (a new inode).
 */
import { type FSWatcher, mkdirSync, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { type LoadedConfig, type LoadOptions, loadConfig } from "./load.js";
import { configLocation } from "./paths.js";

export interface ConfigWatcher {
  close(): void;
}

export interface WatchOptions extends LoadOptions {
  debounceMs?: number;
  onChange(loaded: LoadedConfig): void;
  onError(error: unknown): void;
}

export function watchConfig(current: LoadedConfig, options: WatchOptions): ConfigWatcher {
  const location = configLocation(options.configFile, options.env);
  const directory = dirname(location.path);
  const name = basename(location.path);
  let last = JSON.stringify(current.config);
  let timer: NodeJS.Timeout | undefined;

  const reload = () => {
    timer = undefined;
    try {
      const loaded = loadConfig(options);
      const serialized = JSON.stringify(loaded.config);
      if (serialized === last) return;
      last = serialized;
      options.onChange(loaded);
    } catch (error) {
      options.onError(error);
    }
  };

  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const watcher: FSWatcher = watch(directory, (_event, filename) => {
    if (filename !== null && filename !== name) return;
    if (timer) timer.refresh();
    else timer = setTimeout(reload, options.debounceMs ?? 200);
  });
  watcher.on("error", (error) => options.onError(error));
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
