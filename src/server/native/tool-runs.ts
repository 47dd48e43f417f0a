/**
 * `tools` on the native API: a prompt whose agent calls one of the caller's tools answers with
 * status `requires_action` and the calls; `POST /tool-results` brings their results and answers
 * with the run's next share, until it ends. The same live turns and waiting runs as the compatible
 * APIs' (compat/live-turn.ts, compat/tool-runs.ts); JSON responses only.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { ClinvkError } from "../../core/errors.js";
import type { RunRequest } from "../../core/request.js";
import { toolCallIds } from "../compat/call-ids.js";
import { argumentsObject } from "../compat/client-tools.js";
import { liveOutcome, type TurnOutcome, toolOwner } from "../compat/drive.js";
import { answerCalls, LiveTurn, networkClientTools } from "../compat/live-turn.js";
import type { ServerContext } from "../context.js";
import type { PromptBody, PromptResponse, ToolResultsBody } from "./schemas.js";
import { promptResponse } from "./translate.js";

/** The body's tools on the run (the live turn's handler answers them). */
export function withNativeTools(run: RunRequest, body: PromptBody, context: ServerContext): RunRequest {
  if (!body.tools) return run;
  run.clientTools = networkClientTools(
    body.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      inputSchema: { type: "object", ...tool.input_schema },
    })),
    body.tool_choice,
    context.config.current.server.client_tools_keep_builtins,
  );
  return run;
}

function response(live: LiveTurn, outcome: TurnOutcome): PromptResponse {
  if (outcome.result) return promptResponse(outcome.result);
  return {
    session_id: live.sessionId ?? null,
    backend: String(live.plan.run.backend) as PromptResponse["backend"],
    status: "requires_action",
    exit_code: 0,
    duration_ms: 0,
    ...(outcome.text ? { output: outcome.text } : {}),
    tool_calls: outcome.calls.map((call) => ({
      id: call.id,
      name: call.name,
      arguments: argumentsObject(call.arguments),
    })),
  };
}

export async function serveToolRun(
  context: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  run: RunRequest,
): Promise<PromptResponse> {
  // Sessions of native runs are the engine's (its hooks): the turn records nothing of its own.
  const live = new LiveTurn(context.engine, {
    run,
    promptTokens: 0,
    complete: async () => {},
    abandon: async () => {},
    callId: toolCallIds.openai,
  });
  return response(live, await liveOutcome(context, reply, live, toolOwner(context, request, "native")));
}

export async function serveToolResults(
  context: ServerContext,
  request: FastifyRequest,
  reply: FastifyReply,
  body: ToolResultsBody,
): Promise<PromptResponse> {
  const owner = toolOwner(context, request, "native");
  const ids = body.results.map((result) => result.tool_call_id);
  const claimed = context.toolRuns.claim(ids, owner);
  if (!claimed) {
    throw new ClinvkError(
      "invalid_request",
      `no run waits for the results of ${ids.join(", ")}`,
      "a run waits for server.client_tool_wait_secs; continue its session with a prompt instead",
    );
  }
  if (claimed.missing.length > 0) {
    throw new ClinvkError(
      "invalid_request",
      `the run waits for the results of ${claimed.missing.join(", ")} as well: send all of them together`,
    );
  }
  answerCalls(
    claimed.calls,
    body.results.map((result) => ({ id: result.tool_call_id, content: result.output, isError: result.is_error })),
  );
  return response(claimed.turn, await liveOutcome(context, reply, claimed.turn, owner));
}
