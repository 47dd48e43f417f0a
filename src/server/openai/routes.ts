/**
 * The OpenAI-compatible API under /openai/v1: models, chat completions and responses, answered by
 * the CLIs through real sessions, with OpenAI's error format on everything under the prefix.
 */
import type { FastifyInstance } from "fastify";
import { toolOwner } from "../compat/drive.js";
import { CompatError } from "../compat/errors.js";
import { modelRoutes, registerSurfaceErrors, sessionHeader, workdirHeader } from "../compat/http.js";
import { chatImages, responsesImages } from "../compat/images.js";
import { type CatalogEntry, catalogOf, OWNERS, routeModel } from "../compat/models.js";
import { respond } from "../compat/respond.js";
import type { TokenCounts } from "../compat/tokens.js";
import type { RouteFile, ServerContext } from "../context.js";
import { chatCompletion, chatConversation, chatTools, completionId, wantsUsage } from "./chat.js";
import { chatStream } from "./chat-stream.js";
import { renderOpenAIError } from "./errors.js";
import { openaiModelById, openaiModelList } from "./models.js";
import { chatLimits, checkChatParams, checkResponsesParams, responsesLimits } from "./params.js";
import {
  previousOf,
  type ResponseMeta,
  responseId,
  responseObject,
  responseOutput,
  responseStatus,
  responsesConversation,
  responsesTools,
  responseUsage,
} from "./responses.js";
import { responsesStream } from "./responses-stream.js";
import { ChatBody, ResponsesBody } from "./schemas.js";
import { messageIdOf, resolveReferences, responseRecord, storedResponseRoutes } from "./stored-responses.js";
import { chatOutputSchema, responsesOutputSchema } from "./structured-output.js";

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
      const limits = chatLimits(body);
      const taken = chatImages(body.messages);
      const conversation = chatConversation(taken.messages);
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
          outputSchema: chatOutputSchema(body.response_format),
          images: taken.images,
        },
        () => ({
          stream: body.stream === true,
          writer: (sink) => chatStream(sink, meta, options),
          json: (outcome) => chatCompletion(meta, outcome),
          limits,
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
      const limits = responsesLimits(body);
      // item_reference items name an earlier answer: the conversation goes on from its response.
      const resolved = resolveReferences(body);
      const taken = Array.isArray(resolved.body.input) ? responsesImages(resolved.body.input) : undefined;
      const conversation = responsesConversation(taken ? { ...resolved.body, input: taken.messages } : resolved.body);
      const previousId = body.previous_response_id ?? resolved.previousResponseId;
      const previous = previousId ? previousOf(previousId) : undefined;
      if (!body.model && !previous) {
        throw new CompatError("invalid_request", "model is required", {
          param: "model",
          code: "missing_required_parameter",
        });
      }
      const stored = body.store !== false;
      let meta: ResponseMeta | undefined;
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
        outputSchema: responsesOutputSchema(body.text?.format),
        images: taken?.images,
        recordFor: (text: string, counts: TokenCounts, incomplete: boolean) =>
          meta ? responseRecord(meta, text, counts, incomplete) : undefined,
      };
      return respond(
        context,
        reply,
        turn,
        (plan) => {
          const model =
            body.model ?? (plan.run.model ? `${plan.run.backend}/${plan.run.model}` : String(plan.run.backend));
          const current: ResponseMeta = {
            id: plan.responseId as string,
            createdAt: now(),
            model,
            body,
            stored: stored && Boolean(plan.sessionId),
          };
          meta = current;
          return {
            stream: body.stream === true,
            writer: (sink) => responsesStream(sink, current),
            json: (outcome) =>
              responseObject(current, {
                status: responseStatus(outcome),
                output: responseOutput(outcome, messageIdOf(current.id)),
                usage: responseUsage(outcome.counts),
              }),
            limits,
          };
        },
        toolOwner(context, request, "openai"),
      );
    },
  );

  storedResponseRoutes(app, context);
}

/** The OpenAI surface, under its own prefix and error handler. */
export const openaiRoutes: RouteFile = (app, context) => {
  void app.register(async (scope) => routes(scope, context), { prefix: "/openai/v1" });
};
