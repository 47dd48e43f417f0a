/**
 * The embedded session store: `<home>/sessions/<id>.json` (0600) per session, written atomically
 * (temp file, fsync, rename), and an index with a summary of each (session-index.ts), so that
 * listing reads one file. Writers hold a cross-process lock; readers never need it, since every file is replaced
 * whole. The index is rebuilt from the session files when it is missing, corrupt or out of step.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ClinvkError } from "../core/errors.js";
import { StoreLock, storeWriteError } from "./lock.js";
import { promptsMatchText, searchText, summaryMatchesText } from "./search.js";
import {
  checkSessionId,
  checkSessionPrefix,
  createSession,
  forkOf,
  matches,
  type NewSession,
  type Session,
  type SessionFilter,
  type SessionPage,
  type SessionSummary,
  summarize,
} from "./session.js";
import { type IndexChange, SessionIndex } from "./session-index.js";
import type { CleanResult, SessionStore } from "./store.js";

/** Session files a search reads at once. */
const SEARCH_READS = 32;

const SESSION_FILE = /^([a-f0-9]{16}|[a-f0-9]{32})\.json$/;

export class FileSessionStore implements SessionStore {
  readonly directory: string;
  private readonly lock: StoreLock;
  private readonly index: SessionIndex;
  /** Whether this process has checked the index against the session files once. */
  private checked = false;
  private readonly issues: string[] = [];

  constructor(home: string) {
    this.directory = join(home, "sessions");
    try {
      mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw storeWriteError(error, this.directory);
    }
    this.lock = new StoreLock(join(this.directory, "store"));
    this.index = new SessionIndex(this.directory);
  }

  problems(): string[] {
    return [...this.issues];
  }

  async create(input: NewSession): Promise<Session> {
    const session = createSession(input);
    return this.lock.run(async () => {
      if (input.id !== undefined && (await this.readSession(session.id))) {
        throw new ClinvkError("session_error", `a session with id ${session.id} exists already`);
      }
      await this.writeSession(session);
      await this.changeIndex([{ set: summarize(session) }]);
      return session;
    });
  }

  async get(id: string): Promise<Session> {
    checkSessionId(id);
    const session = await this.readSession(id);
    if (!session) throw notFound(`no session with id ${id}`);
    return session;
  }

  async getByPrefix(prefix: string): Promise<Session> {
    const normalized = checkSessionPrefix(prefix);
    const index = await this.readIndex();
    const found = [...index.keys()].filter((id) => id.startsWith(normalized));
    if (found.length === 0) throw notFound(`no session found with id or prefix ${normalized}`);
    if (found.length > 1) {
      throw new ClinvkError(
        "session_not_found",
        `ambiguous prefix ${normalized}: it matches ${found.length} sessions`,
        "give more characters of the id",
      );
    }
    return this.get(found[0] as string);
  }

  async count(filter: SessionFilter = {}): Promise<number> {
    const index = await this.readIndex();
    if (Object.keys(filter).length === 0) return index.size;
    return (await this.select(index, filter)).length;
  }

  async list(filter: SessionFilter = {}): Promise<SessionPage> {
    const all = (await this.select(await this.readIndex(), filter)).sort(newestFirst);
    const offset = Math.max(0, filter.offset ?? 0);
    const end = filter.limit && filter.limit > 0 ? offset + filter.limit : undefined;
    return { sessions: all.slice(offset, end), total: all.length };
  }

  async update(id: string, change: (session: Session) => void): Promise<Session> {
    checkSessionId(id);
    return this.lock.run(async () => {
      const session = await this.readSession(id);
      if (!session) throw notFound(`no session with id ${id}`);
      change(session);
      session.id = id; // A change may not move a session.
      await this.writeSession(session);
      await this.changeIndex([{ set: summarize(session) }]);
      return session;
    });
  }

  async delete(id: string): Promise<void> {
    checkSessionId(id);
    await this.lock.run(async () => {
      const existed = await this.removeSessionFiles(id);
      await this.changeIndex([{ delete: id }]);
      if (!existed) throw notFound(`no session with id ${id}`);
    });
  }

  async clean(before: Date, options: { dryRun?: boolean } = {}): Promise<CleanResult> {
    const cutoff = before.toISOString();
    const dryRun = options.dryRun === true;
    const pick = async (index: Map<string, SessionSummary>) => {
      const old = [...index.values()].filter((s) => s.last_used < cutoff).map((s) => s.id);
      const sessions: Session[] = [];
      for (const id of old) {
        const session = await this.readSession(id);
        if (session) sessions.push(session);
      }
      return sessions;
    };
    if (dryRun) return { sessions: await pick(await this.readIndex()), dryRun };
    return this.lock.run(async () => {
      const sessions = await pick(await this.indexWhileLocked());
      for (const session of sessions) await this.removeSessionFiles(session.id);
      await this.changeIndex(sessions.map((session) => ({ delete: session.id })));
      return { sessions, dryRun };
    });
  }

  async fork(id: string): Promise<Session> {
    return this.create(forkOf(await this.get(id)));
  }

  /**
   * The summaries that match. A search reads the session files of the entries whose summary does
   * not match already (prompts are not in the index): linear in the store, like the listing.
   */
  private async select(index: Map<string, SessionSummary>, filter: SessionFilter): Promise<SessionSummary[]> {
    const q = searchText(filter.q);
    const candidates = [...index.values()].filter((session) => matches(session, filter));
    if (!q) return candidates;
    const needle = q.toLowerCase();
    const found: SessionSummary[] = [];
    const unsure: SessionSummary[] = [];
    for (const summary of candidates) (summaryMatchesText(summary, needle) ? found : unsure).push(summary);
    for (let at = 0; at < unsure.length; at += SEARCH_READS) {
      const batch = unsure.slice(at, at + SEARCH_READS);
      const sessions = await Promise.all(batch.map((summary) => this.readSession(summary.id).catch(() => undefined)));
      batch.forEach((summary, i) => {
        const session = sessions[i];
        if (session && promptsMatchText(session, needle)) found.push(summary);
      });
    }
    return found;
  }

  /** Rebuilds the index from the session files (what `sessions list --repair` runs). */
  async repair(): Promise<number> {
    return this.lock.run(async () => {
      const sessions = await this.scan();
      await this.index.rewrite(sessions);
      return sessions.size;
    });
  }

  /** Every path of a session is built from a checked id: nothing named by a file leaves the store. */
  private sessionPath(id: string): string {
    return join(this.directory, `${checkSessionId(id)}.json`);
  }

  private async readSession(id: string): Promise<Session | undefined> {
    let text: string;
    try {
      text = await readFile(this.sessionPath(id), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as Session;
    } catch {
      throw new ClinvkError(
        "session_error",
        `session file ${this.sessionPath(id)} is corrupt`,
        "delete it with `clinvk sessions delete`, or restore it from a backup",
      );
    }
  }

  private async writeSession(session: Session): Promise<void> {
    const path = this.sessionPath(session.id);
    const { default: writeFileAtomic } = await import("write-file-atomic"); // loaded by the first write only
    await writeFileAtomic(path, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600, fsync: true }).catch(
      (error: unknown) => {
        throw storeWriteError(error, path);
      },
    );
  }

  private async removeSessionFiles(id: string): Promise<boolean> {
    const path = this.sessionPath(id);
    const existed = await stat(path).then(
      () => true,
      () => false,
    );
    await rm(path, { force: true });
    // The Go clinvoker's per-session artifact folder, if there is one: always inside the store.
    await rm(join(this.directory, checkSessionId(id)), { recursive: true, force: true });
    return existed;
  }

  /** The index; rebuilt from the session files when it is missing, corrupt, or (checked once per
   * process) out of step with them because a writer died between writing a session and the index. */
  private async readIndex(): Promise<Map<string, SessionSummary>> {
    const sessions = this.index.read();
    if (sessions && !this.index.damaged && (this.checked || this.countSessionFiles() === sessions.size)) {
      this.checked = true;
      return sessions;
    }
    return this.lock.run(() => this.indexWhileLocked());
  }

  private async indexWhileLocked(): Promise<Map<string, SessionSummary>> {
    const sessions = this.index.read();
    if (sessions && !this.index.damaged && (this.checked || this.countSessionFiles() === sessions.size))
      return sessions;
    if (this.index.damaged) {
      this.issues.push(`rebuilt the session index of ${this.directory}: it had entries that could not be trusted`);
    }
    const scanned = await this.scan();
    await this.index.rewrite(scanned);
    this.checked = true;
    return scanned;
  }

  private countSessionFiles(): number {
    return readdirSync(this.directory).filter((name) => SESSION_FILE.test(name)).length;
  }

  /** Reads every session file; a corrupt one is reported and left out, never fatal. */
  private async scan(): Promise<Map<string, SessionSummary>> {
    const sessions = new Map<string, SessionSummary>();
    for (const name of readdirSync(this.directory)) {
      const match = SESSION_FILE.exec(name);
      if (!match) continue;
      const id = match[1] as string;
      try {
        const session = JSON.parse(await readFile(join(this.directory, name), "utf8")) as Session;
        if (session.id !== id || typeof session.last_used !== "string") throw new Error("not a session");
        sessions.set(id, summarize(session));
      } catch {
        const problem = `skipped corrupt session file ${join(this.directory, name)}`;
        if (!this.issues.includes(problem)) this.issues.push(problem);
      }
    }
    return sessions;
  }

  /** With the lock held: records changes in the index. */
  private async changeIndex(changes: IndexChange[]): Promise<void> {
    if (!this.index.read()) await this.index.rewrite(await this.scan());
    else await this.index.append(changes);
  }
}

/** ISO timestamps compare as plain strings (and far faster than localeCompare). */
function newestFirst(a: SessionSummary, b: SessionSummary): number {
  if (a.last_used !== b.last_used) return a.last_used < b.last_used ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function notFound(message: string): ClinvkError {
  return new ClinvkError("session_not_found", message, "`clinvk sessions list` shows the sessions there are");
}
