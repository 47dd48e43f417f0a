/**
 * A request of the OpenAI or Anthropic surface, answered: a new turn of its conversation, or (when
 * it brings the results of client-tool calls that a run waits on) the continuation of that run.
 * Results for calls nobody waits on, and conversations that leave a waiting call unanswered, are
 * refused with the surface's 400, since guessing would hand the CLI a conversation it never had.
 */
import type { FastifyReply } from "fastify";
import type { ServerContext } from "../context.js";
import { isOwnCallId } from "./call-ids.js";
import type { Conversation } from "./conversation.js";
import { type SurfaceAnswer, serveContinuation, serveTurn } from "./drive.js";
import { CompatError } from "./errors.js";
import type { LivePlan } from "./live-turn.js";
import { planTurn, type TurnRequest } from "./turn.js";

const callIds = (conversation: Conversation) =>
  conversation.turns.flatMap((turn) => (turn.calls ?? []).map((call) => call.id));

export async function respond(
  context: ServerContext,
  reply: FastifyReply,
  request: TurnRequest,
  answerFor: (plan: LivePlan) => SurfaceAnswer,
  owner: string,
): Promise<unknown> {
  const results = request.conversation.turns.at(-1)?.results ?? [];
  if (results.length > 0) {
    const ids = results.map((result) => result.id);
    const claimed = context.toolRuns.claim(ids, owner);
    if (claimed && claimed.missing.length > 0) {
      throw new CompatError(
        "invalid_request",
        `the run waits for the results of the tool calls ${claimed.missing.join(", ")} as well: send all of them together`,
        { code: "tool_results_missing" },
      );
    }
    if (claimed) {
      const plan = claimed.turn.plan;
      plan.responseId = request.responseIdFor?.(plan.sessionId) ?? plan.responseId;
      return serveContinuation(context, reply, claimed, results, { ...answerFor(plan), owner });
    }
    const unknown = ids.filter((id) => isOwnCallId(id) && !context.toolRuns.hasExpired(id));
    if (unknown.length > 0) {
      throw new CompatError(
        "invalid_request",
        `no run waits for the result of the tool call ${unknown.join(", ")}: it was answered already, or made by another server`,
        { code: "tool_call_not_found" },
      );
    }
  }
  const waiting = context.toolRuns.waitingAmong(callIds(request.conversation));
  if (waiting.length > 0) {
    throw new CompatError(
      "invalid_request",
      `the tool calls ${waiting.join(", ")} wait for their results: send them before anything else`,
      { code: "tool_results_missing" },
    );
  }
  const plan = await planTurn(context, request);
  return serveTurn(context, reply, plan, { ...answerFor(plan), owner });
}
