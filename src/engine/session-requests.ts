/**
 * Runs that continue a session, for every face: resume a given session, or find the newest one
 * that fits (the same backend and working directory) for `--continue` and auto-resume.
 */
import type { BackendName } from "../core/backend-names.js";
import { ClinvkError } from "../core/errors.js";
import type { RunRequest } from "../core/request.js";
import type { Session, SessionFilter, SessionSummary } from "../sessions/session.js";
import type { SessionStore } from "../sessions/store.js";

/** The request that sends `prompt` to the session's conversation, with the caller's options on top. */
export function sessionRequest(session: Session, overrides: Partial<RunRequest> & { prompt: string }): RunRequest {
  if (!session.backend_session_id) {
    throw new ClinvkError(
      "session_error",
      `session ${session.id.slice(0, 8)} has no backend session id, so it cannot be resumed`,
      "its first run failed before the CLI started a conversation; start a new one",
    );
  }
  return {
    ...overrides,
    backend: session.backend,
    workdir: session.working_dir,
    model: overrides.model ?? session.model,
    // A fork's first turn leaves its parent's conversation: the CLI continues it into a new one.
    resume: { backendSessionId: session.backend_session_id, ...(isUnforkedFork(session) ? { fork: true } : {}) },
    sessionId: session.id,
  };
}

/** A fork (`sessions fork`) that has not run yet still shares its parent's CLI conversation. */
export function isUnforkedFork(session: Session): boolean {
  return session.parent_id !== undefined && session.turn_count === 0;
}

/** The newest resumable session of this backend (if given) in this directory (if given). */
export async function newestResumable(
  store: SessionStore,
  where: { backend?: BackendName; workdir?: string },
): Promise<SessionSummary | undefined> {
  const filter: SessionFilter = { resumable: true, limit: 1 };
  if (where.backend) filter.backend = where.backend;
  if (where.workdir) filter.workdir = where.workdir;
  return (await store.list(filter)).sessions[0];
}
