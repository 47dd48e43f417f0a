/**
 * Keeps sessions in step with runs: a new run creates its session, every run updates turns,
 * tokens, status and the newest backend session id (claude may hand out a new one on resume).
 */

import { ClinvkError } from "../core/errors.js";
import type { RunResult } from "../core/request.js";
import { processStartTime } from "../process/run-registry.js";
import type { Session } from "../sessions/session.js";
import type { SessionStore } from "../sessions/store.js";
import { makeTurn, recordTurn } from "../sessions/turns.js";
import type { RunHooks } from "./engine.js";
import type { PreparedRun } from "./prepare.js";
import { collectTranscript, restoreTranscript } from "./transcript-files.js";

export interface SessionPolicy {
  storeTokenUsage: boolean;
  defaultTags: string[];
  /** Keep each turn's prompt and answer (bounded) with the session; default on (`session.keep_turns`). */
  keepTurns?: boolean;
}

/**
 * Sessions whose runs were cut short by the death of the process that ran them (found in its run
 * registry at the next start) are no longer `active`: they say what happened.
 */
export async function settleInterrupted(
  store: SessionStore,
  sessionIds: readonly string[],
  why: string,
): Promise<number> {
  let settled = 0;
  for (const id of new Set(sessionIds)) {
    await store
      .update(id, (session) => {
        delete session.running;
        if (session.status !== "active") return;
        session.status = "error";
        session.error_message = why;
        settled++;
      })
      .catch(() => undefined); // deleted since, or not a session id
  }
  return settled;
}

/** This process, as a session's `running` names it. */
const thisProcess = () => ({ pid: process.pid, start: processStartTime(process.pid) ?? "" });

/** Claims the session for one turn: a second turn at once would fork its CLI conversation. */
function claimTurn(session: Session): void {
  const owner = session.running;
  if (owner && processStartTime(owner.pid) === owner.start) {
    throw new ClinvkError(
      "session_error",
      `session ${session.id.slice(0, 8)} is running a turn already (process ${owner.pid})`,
      "wait for that turn to finish, or fork the session to go on in parallel",
    );
  }
  session.running = thisProcess();
}

export function sessionHooks(store: SessionStore, policy: SessionPolicy): RunHooks {
  return {
    async beforeRun(request, prepared) {
      if (request.sessionId) {
        const session = await store.update(request.sessionId, (session) => {
          claimTurn(session);
          session.status = "active";
          session.last_used = new Date().toISOString();
        });
        if (request.resume && !prepared.dryRun) await restore(store, session, prepared);
        return { sessionId: request.sessionId };
      }
      if (request.ephemeral) return undefined;
      const session = await store.create({
        ...(request.newSessionId ? { id: request.newSessionId } : {}),
        backend: prepared.backend.name,
        working_dir: prepared.cwd,
        model: prepared.model,
        initial_prompt: request.prompt,
        title: request.title,
        tags: [...new Set([...policy.defaultTags, ...(request.tags ?? [])])],
        metadata: request.metadata,
      });
      return { sessionId: session.id };
    },

    async afterAbandon(_request, sessionId) {
      if (!sessionId) return;
      await store.update(sessionId, (session) => {
        delete session.running;
        if (session.status === "active") session.status = "paused";
      });
    },

    async afterRun(request, result: RunResult, prepared) {
      if (!result.session_id) return;
      const shared = await save(store, result, prepared);
      const turn = makeTurn(
        {
          status: result.error ? "error" : "success",
          errorCode: result.error?.code,
          model: result.model ?? prepared.model,
          durationMs: result.duration_ms,
          usage: policy.storeTokenUsage ? { ...result.usage } : undefined,
          prompt: request.prompt,
          answer: result.text,
        },
        { keepText: policy.keepTurns !== false },
      );
      await store.update(result.session_id, (session) => {
        if (shared) session.metadata.transcript = shared;
        delete session.running;
        session.turn_count += 1;
        recordTurn(session, turn);
        session.last_used = new Date().toISOString();
        if (result.backend_session_id) session.backend_session_id = result.backend_session_id;
        if (policy.storeTokenUsage) {
          session.token_usage.input_tokens += result.usage.input_tokens;
          session.token_usage.output_tokens += result.usage.output_tokens;
          session.token_usage.cached_tokens += result.usage.cached_tokens;
          session.token_usage.reasoning_tokens += result.usage.reasoning_tokens;
        }
        if (!result.error) {
          session.status = "completed";
          delete session.error_message;
        } else if (result.error.code === "cancelled" || result.error.code === "interrupted") {
          session.status = "paused";
        } else {
          session.status = "error";
          session.error_message = result.error.message;
        }
      });
    },
  };
}

/**
 * A shared store's copy of the CLI's transcript, written where this instance's CLI looks for it
 * when it lacks it (or has an older turn). A fork has none of its own until its first turn: its
 * parent's is the conversation it continues.
 */
async function restore(store: SessionStore, session: Session, prepared: PreparedRun): Promise<void> {
  if (!store.loadTranscript) return;
  let files = await store.loadTranscript(session.id);
  if (files.length === 0 && session.parent_id) files = await store.loadTranscript(session.parent_id).catch(() => []);
  await restoreTranscript(prepared.backend.name, prepared.env, files);
}

/** Saves the CLI's transcript to a shared store after a turn; returns what to note in the session. */
async function save(store: SessionStore, result: RunResult, prepared: PreparedRun): Promise<string | undefined> {
  if (!store.saveTranscript || !result.session_id || !result.backend_session_id || prepared.dryRun) return undefined;
  const { files, skipped } = await collectTranscript(
    prepared.backend.name,
    prepared.env,
    result.backend_session_id,
    prepared.cwd,
  );
  if (files.length > 0) await store.saveTranscript(result.session_id, prepared.backend.name, files);
  if (skipped.length > 0) return `not shared: ${skipped.join("; ")}`.slice(0, 500);
  return files.length > 0 ? "shared" : "none found";
}
