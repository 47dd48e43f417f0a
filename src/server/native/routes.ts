/** The native REST API under /api/v1: prompts, workflows, backends and sessions. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ClinvkError } from "../../core/errors.js";
import type { RunRequest } from "../../core/request.js";
import { sessionRequest } from "../../engine/session-requests.js";
import { checkSessionId } from "../../sessions/session.js";
import { runChain } from "../../workflows/chain.js";
import { runCompare } from "../../workflows/compare.js";
import type { WorkflowEvent } from "../../workflows/events.js";
import { runParallel } from "../../workflows/parallel.js";
import type { ChainSpec } from "../../workflows/specs.js";
import type { ServerContext } from "../context.js";
import { serveResult, serveStream } from "../http/serve-run.js";
import type { StreamKind } from "../http/stream.js";
import { approvalOwner } from "./approvals-routes.js";
import { runEventsFormat, wantsStream, workflowFormat } from "./formats.js";
import {
  ChainBody,
  CompareBody,
  ErrorResponse,
  ParallelBody,
  PromptBody,
  PromptResponse,
  ResumeBody,
  SessionIdParams,
  SessionsQuery,
  ToolResultsBody,
} from "./schemas.js";
import { serveToolResults, serveToolRun, withNativeTools } from "./tool-runs.js";
import { promptRequest, promptResponse, runOptions } from "./translate.js";

/** With ask_permissions, the run's permission requests wait in the approvals API for its caller. */
function withApprovals<R extends Partial<RunRequest>>(
  run: R,
  body: { ask_permissions?: boolean },
  context: ServerContext,
  request: FastifyRequest,
): R {
  if (body.ask_permissions) run.onPermissionRequest = context.approvals.handler(approvalOwner(context, request));
  return run;
}

const errors = { 400: ErrorResponse, 404: ErrorResponse, 429: ErrorResponse, 503: ErrorResponse };

export function apiRoutes(app: FastifyInstance, context: ServerContext): void {
  const config = () => context.config.current;
  const serveRun = async (reply: FastifyReply, run: RunRequest, stream: StreamKind | undefined) => {
    const events = (signal: AbortSignal) => context.engine.stream(run, { signal });
    if (stream) return serveStream(context, reply, events, runEventsFormat(stream));
    return promptResponse(await serveResult(context, reply, events));
  };
  const serveWorkflow = async <S>(
    request: FastifyRequest,
    reply: FastifyReply,
    workflow: (signal: AbortSignal) => AsyncGenerator<WorkflowEvent, S>,
  ) => {
    const stream = wantsStream({}, request.headers.accept);
    if (stream) return serveStream(context, reply, workflow, workflowFormat<S>(stream));
    return serveResult(context, reply, workflow);
  };

  app.post(
    "/prompt",
    {
      schema: {
        summary: "Run one prompt",
        description:
          "Runs a prompt on a backend. JSON by default; NDJSON of unified events with output_format stream-json; SSE when the client accepts text/event-stream. session_id continues a session.",
        body: PromptBody,
        response: { 200: PromptResponse, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as PromptBody;
      let run = withApprovals(promptRequest(body, config()), body, context, request);
      if (body.session_id) {
        const session = await context.store.get(checkSessionId(body.session_id));
        run = sessionRequest(session, { ...run, workdir: undefined });
      }
      const stream = wantsStream(body, request.headers.accept);
      if (body.tools) {
        if (stream) {
          throw new ClinvkError("invalid_request", "a prompt with tools answers in JSON: ask for no stream");
        }
        return serveToolRun(context, request, reply, withNativeTools(run, body, context));
      }
      return serveRun(reply, run, stream);
    },
  );

  app.post(
    "/tool-results",
    {
      schema: {
        summary: "Continue a run with your tools' results",
        description:
          "The results of the tool_calls a prompt with tools answered with (status requires_action), all of them at once: the same run goes on, and the response is the prompt's again (its end, or more calls).",
        body: ToolResultsBody,
        response: { 200: PromptResponse, ...errors },
      },
    },
    async (request, reply) => serveToolResults(context, request, reply, request.body as ToolResultsBody),
  );

  app.post(
    "/sessions/:id/resume",
    {
      schema: {
        summary: "Send a prompt to a session",
        params: SessionIdParams,
        body: ResumeBody,
        response: { 200: PromptResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as SessionIdParams;
      const body = request.body as ResumeBody;
      const session = await context.store.getByPrefix(id);
      const run = sessionRequest(session, {
        ...withApprovals(runOptions(body), body, context, request),
        prompt: body.prompt,
      });
      return serveRun(reply, run, wantsStream(body, request.headers.accept));
    },
  );

  app.post(
    "/parallel",
    { schema: { summary: "Run tasks at once", body: ParallelBody, response: errors } },
    async (request, reply) => {
      const body = request.body as ParallelBody;
      return serveWorkflow(request, reply, (signal) =>
        runParallel(context.engine, body.tasks, {
          maxParallel: body.max_parallel || config().parallel.max_workers,
          failFast: body.fail_fast,
          dryRun: body.dry_run,
          defaultBackend: config().default_backend,
          signal,
        }),
      );
    },
  );

  app.post(
    "/chain",
    { schema: { summary: "Run steps one after another", body: ChainBody, response: errors } },
    async (request, reply) => {
      const body = request.body as ChainSpec;
      return serveWorkflow(request, reply, (signal) =>
        runChain(context.engine, body, { signal, defaultBackend: config().default_backend }),
      );
    },
  );

  app.post(
    "/compare",
    { schema: { summary: "Run one prompt on several backends", body: CompareBody, response: errors } },
    async (request, reply) => {
      const body = request.body as CompareBody;
      return serveWorkflow(request, reply, (signal) =>
        runCompare(context.engine, {
          prompt: body.prompt,
          backends: [...new Set(body.backends)],
          model: body.model,
          workdir: body.workdir,
          sequential: body.sequential,
          dryRun: body.dry_run,
          ephemeral: body.ephemeral,
          signal,
        }),
      );
    },
  );

  app.get(
    "/backends",
    { schema: { summary: "The backends, whether they are installed, and their versions" } },
    async () => {
      const statuses = await context.engine.registry.statuses();
      return {
        backends: statuses.map((s) => ({
          name: s.name,
          available: s.available,
          enabled: s.enabled,
          version: s.version ?? null,
        })),
      };
    },
  );

  app.get(
    "/sessions",
    { schema: { summary: "List sessions, newest first", querystring: SessionsQuery } },
    async (request) => {
      const { limit: limitText, offset: offsetText, ...filters } = request.query as SessionsQuery;
      const limit = Math.min(1000, Number(limitText ?? 100));
      const offset = Number(offsetText ?? 0);
      const page = await context.store.list({ ...filters, limit, offset });
      return { sessions: page.sessions, total: page.total, limit, offset };
    },
  );

  app.get(
    "/sessions/:id",
    { schema: { summary: "One session", params: SessionIdParams, response: errors } },
    async (request) => {
      return context.store.getByPrefix((request.params as SessionIdParams).id);
    },
  );

  app.delete(
    "/sessions/:id",
    { schema: { summary: "Delete a session", params: SessionIdParams, response: errors } },
    async (request) => {
      const session = await context.store.getByPrefix((request.params as SessionIdParams).id);
      await context.store.delete(session.id);
      return { deleted: true, id: session.id };
    },
  );
}
