/**
 * The session index: a snapshot (`index.json`) plus an append-only log (`index.log`, one JSON line
 * per change), so that a write appends one short line instead of rewriting a summary of every
 * session, and a reader that already has the snapshot reads only the new lines. The log is folded
 * into the snapshot when it grows. Applying a line twice changes nothing, so a crash between the
 * two steps of a fold is harmless; a torn last line (a writer killed mid-append) is skipped.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { isSessionId, isSessionSummary, type SessionSummary } from "./session.js";

const VERSION = 1;
const FOLD_BYTES = 512 * 1024;

export type IndexChange = { set: SessionSummary } | { delete: string };

interface Snapshot {
  version: number;
  sessions: Record<string, SessionSummary>;
}

interface Loaded {
  snapshotKey: string;
  logOffset: number;
  sessions: Map<string, SessionSummary>;
}

function fileKey(path: string): string | undefined {
  try {
    const info = statSync(path);
    return `${info.ino}:${info.mtimeMs}:${info.size}`;
  } catch {
    return undefined;
  }
}

export class SessionIndex {
  private readonly snapshotPath: string;
  private readonly logPath: string;
  private loaded: Loaded | undefined;
  /** Set when an entry could not be trusted (a crafted or broken line): the index needs a rebuild. */
  damaged = false;

  constructor(directory: string) {
    this.snapshotPath = join(directory, "index.json");
    this.logPath = join(directory, "index.log");
  }

  /** The current index, or undefined when there is no usable snapshot (rebuild it from the files). */
  read(): Map<string, SessionSummary> | undefined {
    const snapshotKey = fileKey(this.snapshotPath);
    if (!snapshotKey) return undefined;
    if (this.loaded?.snapshotKey !== snapshotKey) {
      const sessions = this.parseSnapshot();
      if (!sessions) return undefined;
      this.loaded = { snapshotKey, logOffset: 0, sessions };
    }
    this.readLog(this.loaded);
    return this.loaded.sessions;
  }

  /** Records changes (the caller holds the store lock). */
  async append(changes: IndexChange[]): Promise<void> {
    if (!this.read()) throw new Error("the session index has no snapshot; rebuild it first");
    const fd = openSync(this.logPath, "a", 0o600);
    try {
      const size = fstatSync(fd).size;
      // A torn line from a killed writer must not swallow this one.
      const prefix = size > 0 && !this.endsWithNewline(size) ? "\n" : "";
      const text = prefix + changes.map((change) => `${JSON.stringify(change)}\n`).join("");
      writeSync(fd, text);
      fsyncSync(fd);
      if (size + text.length > FOLD_BYTES) await this.fold();
    } finally {
      closeSync(fd);
    }
  }

  /** Replaces the whole index (the caller holds the store lock). */
  async rewrite(sessions: Map<string, SessionSummary>): Promise<void> {
    const snapshot: Snapshot = { version: VERSION, sessions: Object.fromEntries(sessions) };
    const { default: writeFileAtomic } = await import("write-file-atomic"); // loaded by the first write only
    await writeFileAtomic(this.snapshotPath, JSON.stringify(snapshot), { mode: 0o600, fsync: true });
    const fd = openSync(this.logPath, "a", 0o600);
    try {
      ftruncateSync(fd, 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.loaded = undefined;
    this.damaged = false;
  }

  private async fold(): Promise<void> {
    const sessions = this.read();
    if (sessions) await this.rewrite(new Map(sessions));
  }

  private endsWithNewline(size: number): boolean {
    const fd = openSync(this.logPath, "r");
    try {
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, size - 1);
      return byte[0] === 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  private parseSnapshot(): Map<string, SessionSummary> | undefined {
    try {
      const snapshot = JSON.parse(readFileSync(this.snapshotPath, "utf8")) as Snapshot;
      if (snapshot.version !== VERSION || typeof snapshot.sessions !== "object" || snapshot.sessions === null) {
        return undefined;
      }
      const entries = Object.entries(snapshot.sessions);
      const valid = entries.filter(([id, summary]) => isSessionSummary(summary) && summary.id === id);
      if (valid.length !== entries.length) this.damaged = true;
      return new Map(valid);
    } catch {
      return undefined;
    }
  }

  /** Applies the log lines written since the last read. */
  private readLog(loaded: Loaded): void {
    // One stat in the common case (nothing new), rather than open, fstat and close.
    const size = statSync(this.logPath, { throwIfNoEntry: false })?.size;
    if (size === undefined || size === loaded.logOffset) return;
    let fd: number;
    try {
      fd = openSync(this.logPath, "r");
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < loaded.logOffset) {
        // Folded by another process since: start over from the snapshot.
        loaded.logOffset = 0;
        const fresh = this.parseSnapshot();
        if (fresh) loaded.sessions = fresh;
      }
      if (size === loaded.logOffset) return;
      const buffer = Buffer.alloc(size - loaded.logOffset);
      readSync(fd, buffer, 0, buffer.length, loaded.logOffset);
      const end = buffer.lastIndexOf(0x0a);
      if (end === -1) return; // Only a partial line so far.
      for (const line of buffer.subarray(0, end).toString("utf8").split("\n")) {
        if (!line) continue;
        try {
          const change = JSON.parse(line) as IndexChange | null;
          if (change !== null && typeof change === "object" && "set" in change && isSessionSummary(change.set)) {
            loaded.sessions.set(change.set.id, change.set);
          } else if (
            change !== null &&
            typeof change === "object" &&
            "delete" in change &&
            isSessionId(change.delete)
          ) {
            loaded.sessions.delete(change.delete);
          } else this.damaged = true;
        } catch {
          // A torn line from a killed writer: what it said is in the session file.
        }
      }
      loaded.logOffset += end + 1;
    } finally {
      closeSync(fd);
    }
  }
}
