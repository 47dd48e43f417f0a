/**
 * One request of the OpenAI or Anthropic surface as one run of a CLI. A conversation that a
 * session already holds continues that session (named by X-Clinvk-Session or previous_response_id,
 * or found by its fingerprint), and the CLI is sent only what is new; any other starts a session
 * whose first prompt carries the earlier turns as a transcript. The server's policies apply as for
 * the native API; the workdir is the one X-Clinvk-Workdir names (judged by the workdir policy), else the
 * server's own, or the continued session's.
 */
import { BACKENDS } from "../../backends/index.js";
import type { RunRequest } from "../../core/request.js";
import { sessionRequest } from "../../engine/session-requests.js";
import { giveBack, META, record, type Taken, take, takeByFingerprint } from "../../sessions/conversations.js";
import { newSessionId, type Session } from "../../sessions/session.js";
import type { ServerContext } from "../context.js";
import type { Cut } from "./answer-cut.js";
import { toolCallIds } from "./call-ids.js";
import type { RequestTools } from "./client-tools.js";
import {
  answeredPrefixes,
  type Conversation,
  fingerprint,
  mergeTurns,
  prefixFingerprints,
  promptFor,
  splitLatest,
  type Turn,
  titleOf,
} from "./conversation.js";
import { CompatError } from "./errors.js";
import { type InlineImage, stageImages } from "./images.js";
import { networkClientTools } from "./live-turn.js";
import type { ModelRoute } from "./models.js";
import { estimateConversation, type TokenCounts } from "./tokens.js";

export interface TurnRequest {
  surface: "openai" | "anthropic";
  /** Merged turns, the last one the user's. */
  conversation: Conversation;
  /** Undefined only when a previous response names the session (its backend and model then). */
  route?: ModelRoute;
  /** X-Clinvk-Session: this session, by id or unique prefix. */
  sessionId?: string;
  /** previous_response_id, decoded: only `conversation.turns` are new. */
  previous?: { sessionId: string; responseId: string };
  /** Leave no session behind and find none by fingerprint (Responses API `store: false`). */
  ephemeral?: boolean;
  /** Names the response to this turn (Responses API), remembered as the conversation's latest. */
  responseIdFor?: (sessionId: string | undefined) => string;
  /** The request's own tools, offered to the CLI's agent; the client runs them. */
  tools?: RequestTools;
  /** Where a new session's agent works (X-Clinvk-Workdir); a continued session keeps its own. */
  workdir?: string;
  /** A JSON Schema the answer must match (structured output): the engine checks and repairs it. */
  outputSchema?: Record<string, unknown>;
  /** Images of the newest user message, written to temporary files for the run (removed after it). */
  images?: InlineImage[];
  /** The response as a client may retrieve it later (GET /responses/{id}), kept with the answer. */
  recordFor?: (answer: string, counts: TokenCounts, incomplete: boolean) => string | undefined;
}

export interface PlannedTurn {
  run: RunRequest;
  /** The clinvoker session, for the X-Clinvk-Session header; undefined when ephemeral. */
  sessionId?: string;
  /** The id of this turn's response, when the request asked for one (responseIdFor); a continuation's replaces it. */
  responseId?: string;
  /** Estimated tokens of the conversation, for usage when the CLI reports none. */
  promptTokens: number;
  /** The first turn of a new (or ephemeral) session: the CLI is sent the whole conversation. */
  fresh?: boolean;
  /**
   * The turn succeeded with this answer (after `later` turns: the assistant's tool calls and the
   * client's results, when the run called client tools): the session now holds the conversation.
   */
  complete(answer: string, later?: Turn[], counts?: TokenCounts, cut?: Cut): Promise<void>;
  /** A new id for a client-tool call, as the surface names them. */
  callId: () => string;
  /** The turn failed or never ran: the session is given back as it was (a new, empty one removed). */
  abandon(): Promise<void>;
}

export const SESSION_HEADER = "x-clinvk-session";

function previousNotFound(id: string, why: string): CompatError {
  return new CompatError("invalid_request", `Previous response with id '${id}' ${why}.`, {
    param: "previous_response_id",
    code: "previous_response_not_found",
  });
}

/** The session a request names, taken for this turn, and which of its turns the CLI has not seen. */
async function named(
  context: ServerContext,
  request: TurnRequest,
): Promise<{ taken: Taken; newTurns: Turn[]; base?: string } | undefined> {
  const turns = request.conversation.turns;
  if (request.previous) {
    const { sessionId, responseId } = request.previous;
    const session = await context.store.get(sessionId).catch(() => {
      throw previousNotFound(responseId, "not found");
    });
    if (session.metadata[META.response] !== responseId) {
      throw previousNotFound(
        responseId,
        "is not the latest response of its conversation, the only one it can go on from",
      );
    }
    const taken = (await take(context.store, session.id)) as Taken;
    return { taken, newTurns: turns, base: session.metadata[META.conversation] };
  }
  if (request.sessionId) {
    const session = await context.store.getByPrefix(request.sessionId);
    const taken = (await take(context.store, session.id)) as Taken;
    // The turns after what the session recorded; with no record, the user's newest messages.
    const matched = taken.previous ? prefixFingerprints(turns).lastIndexOf(taken.previous) : -1;
    return { taken, newTurns: matched >= 0 ? turns.slice(matched + 1) : splitLatest(turns).latest };
  }
  if (!request.route || request.ephemeral) return undefined;
  const candidates = answeredPrefixes(turns);
  const found = await takeByFingerprint(
    context.store,
    candidates.map((candidate) => candidate.fingerprint),
    request.route.backend,
  );
  const matched = found && (candidates[found.matched]?.index as number);
  return found && { taken: found, newTurns: turns.slice((matched as number) + 1) };
}

function checkBackend(session: Session, route: ModelRoute | undefined): void {
  if (route && route.backend !== session.backend) {
    throw new CompatError(
      "invalid_request",
      `session ${session.id.slice(0, 8)} is a ${session.backend} session; the model names ${route.backend}`,
      { param: "model", code: "backend_mismatch" },
    );
  }
}

export async function planTurn(context: ServerContext, request: TurnRequest): Promise<PlannedTurn> {
  const plan = await planTurnRun(context, request);
  if (request.outputSchema) plan.run.outputSchema = request.outputSchema;
  return request.images?.length ? withImages(plan, request.images) : plan;
}

/** The plan with its images staged as files, removed once the turn completes or is abandoned. */
async function withImages(plan: PlannedTurn, images: InlineImage[]): Promise<PlannedTurn> {
  const staged = await stageImages(images).catch(async (error: unknown) => {
    await plan.abandon();
    throw error;
  });
  plan.run.images = staged.paths;
  // In place: a continuation of the turn names its response on this very plan.
  const { complete, abandon } = plan;
  plan.complete = (answer, later, counts, cut) => complete(answer, later, counts, cut).finally(staged.remove);
  plan.abandon = () => abandon().finally(staged.remove);
  return plan;
}

async function planTurnRun(context: ServerContext, request: TurnRequest): Promise<PlannedTurn> {
  const found = await named(context, request);
  if (!found) return startSession(context, request);
  try {
    return continueSession(context, request, found);
  } catch (error) {
    await giveBack(context.store, found.taken).catch(() => undefined);
    throw error;
  }
}

/** The request's tools on its run, answered by the LiveTurn that drives it (its handler replaces this one). */
function withTools(context: ServerContext, run: RunRequest, tools: RequestTools | undefined): RunRequest {
  if (!tools) return run;
  run.clientTools = networkClientTools(
    tools.tools,
    tools.choice,
    context.config.current.server.client_tools_keep_builtins,
  );
  return run;
}

/** The turn as the next one of a session's CLI conversation: the CLI gets only what is new. */
function continueSession(
  context: ServerContext,
  request: TurnRequest,
  found: { taken: Taken; newTurns: Turn[]; base?: string },
): PlannedTurn {
  const { session } = found.taken;
  checkBackend(session, request.route);
  const run = withTools(
    context,
    sessionRequest(session, {
      model: request.route?.model || undefined,
      prompt: promptFor(found.newTurns),
      // A CLI without a system-prompt option got it in its first prompt: it is in its history already.
      systemPrompt: BACKENDS[session.backend].capabilities.systemPrompt ? request.conversation.system : undefined,
    }),
    request.tools,
  );
  context.engine.prepare(run);
  // The fingerprint of the whole conversation: extended from the stored one when only new turns came.
  const answered = (answer: string, later: Turn[] = []) =>
    found.base !== undefined
      ? fingerprint(mergeTurns([...found.newTurns, ...later, { role: "assistant", text: answer }]), found.base)
      : fingerprint(mergeTurns([...request.conversation.turns, ...later, { role: "assistant", text: answer }]));
  const planned: PlannedTurn = {
    run,
    sessionId: session.id,
    responseId: request.responseIdFor?.(session.id),
    promptTokens: estimateConversation(request.conversation),
    complete: (answer, later, counts, cut) =>
      record(context.store, session.id, {
        fingerprint: answered(answer, later),
        responseId: planned.responseId,
        responseRecord: counts && request.recordFor?.(answer, counts, cut?.reason === "max_tokens"),
      }),
    callId: toolCallIds[request.surface],
    abandon: () => giveBack(context.store, found.taken).catch(() => undefined),
  };
  return planned;
}

/** The turn as the first of a new session, with any earlier turns in its prompt. */
async function startSession(context: ServerContext, request: TurnRequest): Promise<PlannedTurn> {
  const { system, turns } = request.conversation;
  const route = request.route as ModelRoute;
  const run: RunRequest = withTools(
    context,
    {
      model: route.model || undefined,
      backend: route.backend,
      prompt: promptFor(turns),
      systemPrompt: system,
      ephemeral: request.ephemeral === true,
      ...(request.workdir ? { workdir: request.workdir } : {}),
    },
    request.tools,
  );
  // Invalid requests fail here, before anything runs.
  context.engine.prepare(run);
  const promptTokens = estimateConversation(request.conversation);
  if (run.ephemeral) {
    const responseId = request.responseIdFor?.(undefined);
    return {
      run,
      responseId,
      promptTokens,
      fresh: true,
      complete: async () => {},
      abandon: async () => {},
      callId: toolCallIds[request.surface],
    };
  }
  // Named now, so that its id can head even a streamed response; the engine's session hooks create it
  // when the run starts (a run refused before then leaves none).
  const sessionId = newSessionId();
  Object.assign(run, {
    newSessionId: sessionId,
    title: titleOf(turns),
    tags: [request.surface],
    metadata: { [META.surface]: request.surface },
  });
  const planned: PlannedTurn = {
    run,
    sessionId,
    responseId: request.responseIdFor?.(sessionId),
    promptTokens,
    fresh: true,
    complete: (answer, later = [], counts, cut) =>
      record(context.store, sessionId, {
        fingerprint: fingerprint(mergeTurns([...turns, ...later, { role: "assistant", text: answer }])),
        responseId: planned.responseId,
        responseRecord: counts && request.recordFor?.(answer, counts, cut?.reason === "max_tokens"),
      }),
    callId: toolCallIds[request.surface],
    abandon: async () => {
      // A session whose CLI never started a conversation cannot be continued: remove it.
      const current = await context.store.get(sessionId).catch(() => undefined);
      if (current && !current.backend_session_id) await context.store.delete(sessionId).catch(() => undefined);
    },
  };
  return planned;
}
