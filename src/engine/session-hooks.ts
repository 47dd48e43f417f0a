/**
 * Keeps sessions in step with runs: a new run creates its session, every run updates turns,
 * tokens, status and the newest backend session id (claude may hand out a new one on resume).
 */

import { ClinvkError } from "../core/errors.js";
import type { RunResult } from "../core/request.js";
import { processStartTime } from "../process/run-registry.js";
import type { Session } from "../sessions/session.js";
import type { SessionStore } from "../sessions/store.js";
import type { RunHooks } from "./engine.js";

export interface SessionPolicy {
  storeTokenUsage: boolean;
  defaultTags: string[];
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
        await store.update(request.sessionId, (session) => {
          claimTurn(session);
          session.status = "active";
          session.last_used = new Date().toISOString();
        });
        return { sessionId: request.sessionId };
      }
      if (request.ephemeral) return undefined;
      const session = await store.create({
        backend: prepared.backend.name,
        working_dir: prepared.cwd,
        model: prepared.model,
        initial_prompt: request.prompt,
        title: request.title,
        tags: policy.defaultTags,
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

    async afterRun(_request, result: RunResult) {
      if (!result.session_id) return;
      await store.update(result.session_id, (session) => {
        delete session.running;
        session.turn_count += 1;
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
        } else if (result.error.code === "cancelled") {
          session.status = "paused";
        } else {
          session.status = "error";
          session.error_message = result.error.message;
        }
      });
    },
  };
}
