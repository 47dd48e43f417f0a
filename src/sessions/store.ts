/** The contract of a session store; any implementation must pass test/sessions/contract.ts. */
import type { NewSession, Session, SessionFilter, SessionPage } from "./session.js";
import type { TranscriptFile } from "./transcript.js";

export interface CleanResult {
  /** The sessions removed (or, in a dry run, that would be). */
  sessions: Session[];
  dryRun: boolean;
}

export interface SessionStore {
  create(input: NewSession): Promise<Session>;
  /** `session_not_found` when there is no such session. */
  get(id: string): Promise<Session>;
  /** Exactly one session whose id starts with the prefix; else `session_not_found` (none or ambiguous). */
  getByPrefix(prefix: string): Promise<Session>;
  /** How many sessions match, without listing them. */
  count(filter?: SessionFilter): Promise<number>;
  /** Newest `last_used` first. */
  list(filter?: SessionFilter): Promise<SessionPage>;
  /** Atomic read-modify-write: no concurrent update, from any process, is lost. */
  update(id: string, change: (session: Session) => void): Promise<Session>;
  delete(id: string): Promise<void>;
  /** Removes sessions not used since `before`. */
  clean(before: Date, options?: { dryRun?: boolean }): Promise<CleanResult>;
  /** A new session that continues from the same backend conversation. */
  fork(id: string): Promise<Session>;
  /** Problems found while reading (corrupt files skipped), for `sessions list` to report. */
  problems(): string[];
  /** Connects (and migrates) a shared store now, so that a bad one fails at startup, not on a first request. */
  open?(): Promise<void>;
  /** Lets go of a shared store's connections. */
  close?(): Promise<void>;
  /** A shared store keeps the CLI's own transcript of a session (replacing the one it had). */
  saveTranscript?(sessionId: string, backend: string, files: TranscriptFile[]): Promise<void>;
  /** The transcript saved for a session, checked; empty when none was. */
  loadTranscript?(sessionId: string): Promise<TranscriptFile[]>;
  /** Rebuilds what the store derives (the file store's index); returns the number of sessions. */
  repair?(): Promise<number>;
}
