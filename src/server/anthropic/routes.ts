/**
 * The Anthropic-compatible API under /anthropic/v1: messages (streamed or not), token counts and
 * models, answered by the CLIs through real sessions, with Anthropic's error format on everything
 * under the prefix.
 */
import type { FastifyInstance } from "fastify";
import { toolOwner } from "../compat/drive.js";
import { modelRoutes, registerSurfaceErrors, sessionHeader, workdirHeader } from "../compat/http.js";
import { messagesImages } from "../compat/images.js";
import { catalogOf, routeModel } from "../compat/models.js";
import { overheadKey } from "../compat/prompt-overhead.js";
import { respond } from "../compat/respond.js";
import { estimateConversation } from "../compat/tokens.js";
import type { RouteFile, ServerContext } from "../context.js";
import { renderAnthropicError } from "./errors.js";
import { message, messageId, messagesConversation, messagesLimits, messagesTools } from "./messages.js";
import { messagesStream } from "./messages-stream.js";
import { anthropicModelById, anthropicModelList } from "./models.js";
import { CountTokensBody, MessagesBody } from "./schemas.js";
import { messagesOutputSchema } from "./structured-output.js";

/** How count_tokens came by its number (the response body has no room to say). */
export const TOKEN_COUNT_HEADER = "x-clinvk-token-count";

export interface AnthropicSurfaceOptions {
  /** Silence after which a `ping` event keeps a streaming client waiting (Anthropic's own do). */
  pingMs?: number;
  /** How long a stream's head waits for the first output (tests shorten it to see pings). */
  holdMs?: number;
}

function routes(app: FastifyInstance, context: ServerContext, options: AnthropicSurfaceOptions): void {
  registerSurfaceErrors(app, renderAnthropicError);
  // Anthropic's own header for the request's id (the SDK's `requestID`), streams included.
  app.addHook("onRequest", async (request, reply) => {
    reply.header("request-id", request.id);
  });
  const createdAt = new Date(context.startedAt).toISOString();
  const registry = context.engine.registry;

  app.post(
    "/messages",
    {
      schema: {
        summary: "Create a message (Anthropic format)",
        description:
          "Runs the conversation's newest user message on the CLI that the model names, continuing the CLI session that holds the earlier turns. SSE with stream: true. The X-Clinvk-Session header names the clinvoker session.",
        body: MessagesBody,
      },
    },
    async (request, reply) => {
      const body = request.body as MessagesBody;
      const limits = messagesLimits(body);
      const taken = messagesImages(body.messages);
      const conversation = messagesConversation({ ...body, messages: taken.messages }, { answer: true });
      const meta = { id: messageId(), model: body.model };
      return respond(
        context,
        reply,
        {
          surface: "anthropic",
          conversation,
          route: routeModel(body.model),
          sessionId: sessionHeader(request),
          workdir: workdirHeader(request),
          tools: messagesTools(body),
          images: taken.images,
          outputSchema: messagesOutputSchema((body as { output_config?: unknown }).output_config),
        },
        (plan) => ({
          stream: body.stream === true,
          writer: (sink) => messagesStream(sink, meta, { promptTokens: plan.promptTokens }),
          json: (outcome) => message(meta, outcome),
          pingMs: options.pingMs,
          holdMs: options.holdMs,
          limits,
        }),
        toolOwner(context, request, "anthropic"),
      );
    },
  );

  app.post(
    "/messages/count_tokens",
    {
      schema: {
        summary: "Count a request's tokens (an estimate)",
        description:
          "Estimates the tokens of the system prompt and messages, plus what the model's CLI adds to every prompt (its own system prompt and tools) as measured on an earlier turn of that CLI version and model. Until a turn has measured it, the estimate alone. The X-Clinvk-Token-Count header says which: `estimate+measured-overhead` or `estimate`. The client's tools and images are not counted. Nothing runs.",
        body: CountTokensBody,
      },
    },
    async (request, reply) => {
      const body = request.body as CountTokensBody;
      const route = routeModel(body.model);
      const estimate = estimateConversation(messagesConversation(body, { answer: false }));
      const key = await overheadKey(registry, route.backend, route.model || undefined);
      const overhead = context.promptOverheads.get(key);
      reply.header(TOKEN_COUNT_HEADER, overhead === undefined ? "estimate" : "estimate+measured-overhead");
      return { input_tokens: estimate + (overhead ?? 0) };
    },
  );

  modelRoutes(
    app,
    async () => anthropicModelList(catalogOf(registry), createdAt),
    async (id) => anthropicModelById(id, catalogOf(registry), createdAt, (backend) => registry.isEnabled(backend)),
  );
}

/** The Anthropic surface, under its own prefix and error handler. */
export function anthropicSurface(options: AnthropicSurfaceOptions = {}): RouteFile {
  const settings = { pingMs: options.pingMs ?? 10_000, holdMs: options.holdMs };
  return (app, context) => {
    void app.register(async (scope) => routes(scope, context, settings), { prefix: "/anthropic/v1" });
  };
}

export const anthropicRoutes: RouteFile = anthropicSurface();
