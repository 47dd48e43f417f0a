/**
 * A clinvoker session: one conversation with one backend, resumable from any face. The JSON field
 * names are the Go clinvoker's, so its session files and API clients keep working.
 */
import { randomBytes } from "node:crypto";
import type { BackendName } from "../core/backend-names.js";
import { ClinvkError } from "../core/errors.js";

export const SESSION_STATUSES = ["active", "completed", "error", "paused"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface SessionTokenUsage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
}

/** One run of a session, as kept in its record (bounds and recording: turns.ts). */
export interface SessionTurn {
  /** When the turn ended (ISO). */
  at: string;
  status: "success" | "error";
  /** The error's code (`cancelled`, `timeout`, `backend_error`, ...) when it failed. */
  error_code?: string;
  model?: string;
  duration_ms: number;
  /** Absent when `session.store_token_usage` is off. */
  usage?: SessionTokenUsage & { cost_usd?: number };
  /** Absent when `session.keep_turns` is off. */
  prompt?: string;
  prompt_truncated?: true;
  answer?: string;
  answer_truncated?: true;
}

/** A session's claim by the process running its turn. */
export interface TurnClaim {
  pid: number;
  /** The process's start time (clock ticks since boot). */
  start: string;
  /** Where pid and start mean something (engine/turn-claim.ts, thisMachine). Absent in claims of older versions. */
  machine?: string;
  /** When the claimer last said it still runs the turn (ISO time). */
  renewed_at?: string;
}

export interface Session {
  id: string;
  backend: BackendName;
  /** The CLI's own id: what `--resume` takes. Absent until the first run reported one. */
  backend_session_id?: string;
  model?: string;
  /** Absolute. */
  working_dir: string;
  initial_prompt?: string;
  title?: string;
  status: SessionStatus;
  turn_count: number;
  token_usage: SessionTokenUsage;
  tags: string[];
  parent_id?: string;
  error_message?: string;
  metadata: Record<string, string>;
  /** The process running a turn of this session now (engine/turn-claim.ts judges it): one turn at a time. */
  running?: TurnClaim;
  /** The newest turns, oldest first, bounded (turns.ts); absent in records written before they were kept. */
  turns?: SessionTurn[];
  /** Turns dropped from `turns` to keep it bounded. */
  turns_dropped?: number;
  created_at: string;
  last_used: string;
}

/** What listing needs, kept in the index so that a list reads one file. */
export type SessionSummary = Omit<
  Session,
  "metadata" | "error_message" | "initial_prompt" | "turns" | "turns_dropped"
> & {
  /** The first 120 characters of the initial prompt. */
  prompt_preview?: string;
};

export interface NewSession {
  /** Chosen by the caller (checked, and refused if taken); default: a fresh one. */
  id?: string;
  backend: BackendName;
  working_dir: string;
  model?: string;
  initial_prompt?: string;
  title?: string;
  tags?: string[];
  metadata?: Record<string, string>;
  parent_id?: string;
  backend_session_id?: string;
}

export interface SessionFilter {
  backend?: BackendName;
  status?: SessionStatus;
  tag?: string;
  /** Exact absolute directory. */
  workdir?: string;
  model?: string;
  /** Only sessions that have a backend session id, i.e. can be resumed. */
  resumable?: boolean;
  /**
   * Text searched (case-insensitive, as a plain substring) in the title, tags, workdir, the
   * initial prompt and the kept turns' prompts.
   */
  q?: string;
  limit?: number;
  offset?: number;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Matches before paging. */
  total: number;
}

const ID = /^[a-f0-9]{32}$/;
const LEGACY_ID = /^[a-f0-9]{16}$/;
const PREFIX = /^[a-f0-9]{1,32}$/;

export function newSessionId(): string {
  return randomBytes(16).toString("hex");
}

export function isSessionId(id: unknown): id is string {
  return typeof id === "string" && (ID.test(id) || LEGACY_ID.test(id));
}

/**
 * Whether an index entry can be trusted as a summary: an object with a valid id (so that no path
 * built from it leaves the store) and the fields that listing and cleaning read.
 */
export function isSessionSummary(value: unknown): value is SessionSummary {
  if (value === null || typeof value !== "object") return false;
  const entry = value as Partial<SessionSummary>;
  return (
    isSessionId(entry.id) &&
    typeof entry.backend === "string" &&
    typeof entry.working_dir === "string" &&
    typeof entry.status === "string" &&
    typeof entry.last_used === "string" &&
    Array.isArray(entry.tags)
  );
}

/** Longest title kept; a longer one is cut (an index holds every title). */
export const MAX_TITLE_LENGTH = 200;

/** An exact id from a user: 32 (or the Go clinvoker's 16) lowercase hex characters, nothing else. */
export function checkSessionId(id: string): string {
  if (!isSessionId(id)) {
    throw new ClinvkError(
      "session_not_found",
      `invalid session id ${JSON.stringify(String(id).slice(0, 80))}`,
      "session ids are 32 hex characters; `clinvk sessions list` shows them",
    );
  }
  return id;
}

export function checkSessionPrefix(prefix: string): string {
  const normalized = typeof prefix === "string" ? prefix.trim().toLowerCase() : "";
  if (!PREFIX.test(normalized)) {
    throw new ClinvkError(
      "session_not_found",
      `invalid session id or prefix ${JSON.stringify(String(prefix).slice(0, 80))}`,
      "give the session id or its first characters (hex), as `clinvk sessions list` shows them",
    );
  }
  return normalized;
}

export function summarize(session: Session): SessionSummary {
  const {
    metadata: _metadata,
    error_message: _error,
    initial_prompt,
    turns: _turns,
    turns_dropped: _dropped,
    ...rest
  } = session;
  return initial_prompt ? { ...rest, prompt_preview: initial_prompt.slice(0, 120) } : rest;
}

/** Title, else the start of the prompt, else the short id. */
export function displayName(session: SessionSummary | Session, max = 50): string {
  const prompt = "initial_prompt" in session ? session.initial_prompt : (session as SessionSummary).prompt_preview;
  const name = (session.title || prompt || session.id.slice(0, 8)).replace(/\s+/g, " ").trim();
  return name.length > max ? `${name.slice(0, max - 3)}...` : name;
}

export function matches(session: SessionSummary, filter: SessionFilter): boolean {
  return (
    (!filter.backend || session.backend === filter.backend) &&
    (!filter.status || session.status === filter.status) &&
    (!filter.tag || session.tags.includes(filter.tag)) &&
    (!filter.workdir || session.working_dir === filter.workdir) &&
    (!filter.model || session.model === filter.model) &&
    (!filter.resumable || Boolean(session.backend_session_id))
  );
}

/** A new session that goes on from `parent`'s CLI conversation (the store's `fork`). */
export function forkOf(parent: Session): NewSession {
  return {
    backend: parent.backend,
    working_dir: parent.working_dir,
    model: parent.model,
    title: parent.title ? `${parent.title} (fork)` : undefined,
    initial_prompt: parent.initial_prompt,
    tags: parent.tags,
    metadata: parent.metadata,
    parent_id: parent.id,
    backend_session_id: parent.backend_session_id,
  };
}

export function createSession(input: NewSession, now = new Date()): Session {
  const timestamp = now.toISOString();
  return {
    id: input.id === undefined ? newSessionId() : checkSessionId(input.id),
    backend: input.backend,
    ...(input.backend_session_id ? { backend_session_id: input.backend_session_id } : {}),
    ...(input.model ? { model: input.model } : {}),
    working_dir: input.working_dir,
    ...(input.initial_prompt ? { initial_prompt: input.initial_prompt } : {}),
    ...(input.title ? { title: input.title.slice(0, MAX_TITLE_LENGTH) } : {}),
    status: "active",
    turn_count: 0,
    token_usage: { input_tokens: 0, output_tokens: 0, cached_tokens: 0, reasoning_tokens: 0 },
    tags: [...(input.tags ?? [])],
    ...(input.parent_id ? { parent_id: input.parent_id } : {}),
    metadata: { ...(input.metadata ?? {}) },
    created_at: timestamp,
    last_used: timestamp,
  };
}
