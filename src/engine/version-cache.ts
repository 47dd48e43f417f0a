/**
 * The versions that `<cli> --version` printed, kept on disk (`$CLINVK_HOME/cache/versions.json`)
 * and keyed by the executable's path, size, modification time and inode, so that `clinvk doctor`
 * and a server's first `/health` do not start three CLIs (a second each for some) to learn what
 * they learnt last time. Installing or upgrading a CLI rewrites its file, which changes the key;
 * a probe that failed is never kept.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface VersionCache {
  /**
   * The version kept for the executable at `path`, if its file is the one it was kept for; `keep`
   * remembers a version for the file as it was at this lookup (a file replaced meanwhile misses).
   */
  lookup(path: string): { version?: string; keep(version: string): void };
}

interface Entry {
  identity: string;
  version: string;
}

/** More executables than anyone has: the file stays small. */
const MAX_ENTRIES = 64;

/** The identity of the file behind a path (symlinks followed), or undefined when it is gone. */
function identity(path: string): string | undefined {
  try {
    const info = statSync(path);
    return `${info.size}:${info.mtimeMs}:${info.ino}`;
  } catch {
    return undefined;
  }
}

export function fileVersionCache(file: string): VersionCache {
  let entries: Record<string, Entry> | undefined;
  const read = (): Record<string, Entry> => {
    if (entries) return entries;
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as { entries?: Record<string, Entry> };
      entries = parsed.entries && typeof parsed.entries === "object" ? parsed.entries : {};
    } catch {
      entries = {}; // none yet, or torn: probe again
    }
    return entries;
  };
  const write = () => {
    const temporary = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(temporary, JSON.stringify({ entries }), { mode: 0o600 });
      renameSync(temporary, file);
    } catch {
      // A read-only home: the next doctor probes again.
    }
  };
  return {
    lookup(path) {
      const current = identity(path);
      const entry = read()[path];
      const known = entry && current && entry.identity === current && typeof entry.version === "string";
      return {
        ...(known ? { version: entry.version } : {}),
        keep(version) {
          if (!current) return;
          const all = read();
          delete all[path];
          all[path] = { identity: current, version };
          entries = Object.fromEntries(Object.entries(all).slice(-MAX_ENTRIES));
          write();
        },
      };
    },
  };
}
