/**
 * The OpenAI-compatible API under /openai/v1: models, chat completions and responses, answered by
 * the CLIs through real sessions, with OpenAI's error format on everything under the prefix.
 */
import type { FastifyInstance } from "fastify";
import { toolOwner } from "../compat/drive.js";
import { CompatError } from "../compat/errors.js";
import { modelRoutes, registerSurfaceErrors, sessionHeader, workdirHeader } from "../compat/http.js";
import { type CatalogEntry, catalogOf, OWNERS, routeModel } from "../compat/models.js";
import { respond } from "../compat/respond.js";
import type { RouteFile, ServerContext } from "../context.js";
import { chatCompletion, chatConversation, chatTools, completionId, wantsUsage } from "./chat.js";
import { chatStream } from "./chat-stream.js";
import { renderOpenAIError } from "./errors.js";
import { openaiModelById, openaiModelList } from "./models.js";
import { checkChatParams, checkResponsesParams } from "./params.js";
import {
  previousOf,
  responseId,
  responseObject,
  responseOutput,
  responsesConversation,
  responsesTools,
  responseUsage,
} from "./responses.js";
import { responsesStream } from "./responses-stream.js";
import { ChatBody, ResponsesBody } from "./schemas.js";

const now = () => Math.floor(Date.now() / 1000);

function routes(app: FastifyInstance, context: ServerContext): void {
  registerSurfaceErrors(app, renderOpenAIError);
  const created = Math.floor(context.startedAt / 1000);
  const owner = (backend: CatalogEntry["backend"]) =>
    context.engine.registry.isEnabled(backend) ? OWNERS[backend] : undefined;

  modelRoutes(
    app,
    async () => openaiModelList(catalogOf(context.engine.registry), created),
    async (id) => openaiModelById(id, catalogOf(context.engine.registry), created, owner),
  );

  app.post(
    "/chat/completions",
    {
      schema: {
        summary: "Chat completion (OpenAI format)",
        description:
          "Runs the conversation's newest user message on the CLI that the model names, continuing the CLI session that holds the earlier turns. SSE with stream: true. The X-Clinvk-Session header names the clinvoker session.",
        body: ChatBody,
      },
    },
    async (request, reply) => {
      const body = request.body as ChatBody;
      checkChatParams(body);
      const conversation = chatConversation(body.messages);
      const meta = { id: completionId(), created: now(), model: body.model };
      const options = { includeUsage: wantsUsage(body) };
      return respond(
        context,
        reply,
        {
          surface: "openai",
          conversation,
          route: routeModel(body.model),
          sessionId: sessionHeader(request),
          workdir: workdirHeader(request),
          tools: chatTools(body),
        },
        () => ({
          stream: body.stream === true,
          writer: (sink) => chatStream(sink, meta, options),
          json: (outcome) => chatCompletion(meta, outcome),
        }),
        toolOwner(context, request, "openai"),
      );
    },
  );

  app.post(
    "/responses",
    {
      schema: {
        summary: "Create a response (OpenAI Responses API)",
        description:
          "Like chat completions; previous_response_id continues the CLI session of that response. With tools, a function_call output item ends the response and a function_call_output continues the same run. store: false stores no response, but the session stays (a client replaying its history goes on in it).",
        body: ResponsesBody,
      },
    },
    async (request, reply) => {
      const body = request.body as ResponsesBody;
      checkResponsesParams(body);
      const conversation = responsesConversation(body);
      const previous = body.previous_response_id ? previousOf(body.previous_response_id) : undefined;
      if (!body.model && !previous) {
        throw new CompatError("invalid_request", "model is required", {
          param: "model",
          code: "missing_required_parameter",
        });
      }
      const stored = body.store !== false;
      const turn = {
        surface: "openai" as const,
        conversation,
        route: body.model ? routeModel(body.model) : undefined,
        sessionId: sessionHeader(request),
        workdir: workdirHeader(request),
        previous,
        // store: false keeps nothing OpenAI-side; here its session still holds the CLI conversation, so that a
        // client that replays the history (Codex) goes on in one session (found by fingerprint).
        responseIdFor: responseId,
        tools: responsesTools(body),
      };
      return respond(
        context,
        reply,
        turn,
        (plan) => {
          const model =
            body.model ?? (plan.run.model ? `${plan.run.backend}/${plan.run.model}` : String(plan.run.backend));
          const meta = {
            id: plan.responseId as string,
            createdAt: now(),
            model,
            body,
            stored: stored && Boolean(plan.sessionId),
          };
          return {
            stream: body.stream === true,
            writer: (sink) => responsesStream(sink, meta),
            json: (outcome) =>
              responseObject(meta, {
                status: "completed",
                output: responseOutput(outcome),
                usage: responseUsage(outcome.counts),
              }),
          };
        },
        toolOwner(context, request, "openai"),
      );
    },
  );
}

/** The OpenAI surface, under its own prefix and error handler. */
export const openaiRoutes: RouteFile = (app, context) => {
  void app.register(async (scope) => routes(scope, context), { prefix: "/openai/v1" });
};
