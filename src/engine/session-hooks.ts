/**
 * Keeps sessions in step with runs: a new run creates its session, every run updates turns,
 * tokens, status and the newest backend session id (claude may hand out a new one on resume).
 */

import { ClinvkError } from "../core/errors.js";
import type { RunResult } from "../core/request.js";
import type { Session } from "../sessions/session.js";
import type { SessionStore } from "../sessions/store.js";
import { makeTurn, recordTurn } from "../sessions/turns.js";
import type { RunHooks } from "./engine.js";
import type { PreparedRun } from "./prepare.js";
import { collectTranscript, restoreTranscript } from "./transcript-files.js";
import { CLAIM_RENEW_MS, claimHolds, isOwnClaim, ownClaim } from "./turn-claim.js";

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

/** Claims the session for one turn: a second turn at once would fork its CLI conversation. */
function claimTurn(session: Session): void {
  const owner = session.running;
  if (owner && claimHolds(owner)) {
    throw new ClinvkError(
      "session_error",
      `session ${session.id.slice(0, 8)} is running a turn already (process ${owner.pid})`,
      "wait for that turn to finish, or fork the session to go on in parallel",
    );
  }
  session.running = ownClaim();
}

/** Gives the session's claim up, if it is still this process's. */
function releaseTurn(session: Session): void {
  if (isOwnClaim(session.running)) delete session.running;
}

export function sessionHooks(store: SessionStore, policy: SessionPolicy): RunHooks {
  // The claims this process holds, renewed while their turns run (other machines cannot see it is alive).
  const renewals = new Map<string, NodeJS.Timeout>();
  const renew = (id: string) =>
    store
      .update(id, (session) => {
        if (isOwnClaim(session.running)) session.running = ownClaim();
      })
      .catch(() => undefined); // the next renewal tries again; a deleted session has nothing to hold
  const hold = (id: string) => {
    clearInterval(renewals.get(id));
    renewals.set(id, setInterval(() => void renew(id), CLAIM_RENEW_MS).unref());
  };
  const letGo = (id: string) => {
    clearInterval(renewals.get(id));
    renewals.delete(id);
  };

  return {
    async beforeRun(request, prepared) {
      if (request.sessionId) {
        const id = request.sessionId;
        const session = await store.update(id, (session) => {
          claimTurn(session);
          session.status = "active";
          session.last_used = new Date().toISOString();
        });
        hold(id);
        try {
          if (request.resume && !prepared.dryRun) await restore(store, session, prepared);
        } catch (error) {
          // No run follows, so neither afterRun nor afterAbandon would give the claim back.
          letGo(id);
          await store.update(id, releaseTurn).catch(() => undefined);
          throw error;
        }
        return { sessionId: id };
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
      letGo(sessionId);
      await store.update(sessionId, (session) => {
        releaseTurn(session);
        if (session.status === "active") session.status = "paused";
      });
    },

    async afterRun(request, result: RunResult, prepared) {
      if (!result.session_id) return;
      letGo(result.session_id);
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
        releaseTurn(session);
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
