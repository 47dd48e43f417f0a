/**
 * The approvals API under /api/v1: the permission requests of live runs started with
 * `ask_permissions`, listed and decided by the caller that started the run (its API key, or its
 * address without keys). Another caller's requests are not there for you: a 404, as if unknown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import Type, { type Static } from "typebox";
import { BACKEND_NAMES } from "../../core/backend-names.js";
import type { PermissionDecision } from "../../core/permissions.js";
import { RUN_ID_PATTERN } from "../../engine/run-tracker.js";
import { toolOwner } from "../compat/drive.js";
import type { ServerContext } from "../context.js";
import { apiError } from "../http/errors.js";
import { APPROVAL_ID_PATTERN } from "./approvals.js";
import { ErrorResponse } from "./schemas.js";

/** Who may see and decide a run's approvals: the caller that started it, as the native API names callers. */
export const approvalOwner = (context: ServerContext, request: FastifyRequest) => toolOwner(context, request, "native");

const ApprovalSchema = Type.Object({
  id: Type.String({ pattern: APPROVAL_ID_PATTERN }),
  run_id: Type.Optional(Type.String({ pattern: RUN_ID_PATTERN, description: "The run that asks (see /runs/{id})." })),
  session_id: Type.Optional(Type.String({ description: "clinvoker's session of the run." })),
  backend: Type.Enum(BACKEND_NAMES),
  tool: Type.String({ description: "The tool's name in the CLI (Bash, Write, exec_command, ...)." }),
  input: Type.Unknown({ description: "What the agent asked the tool to do." }),
  description: Type.Optional(Type.String({ description: "What the CLI says about the request." })),
  workdir: Type.String(),
  created_at: Type.String(),
  expires_at: Type.String({ description: "When server.approval_timeout_decision applies if no one decides." }),
});

const ApprovalIdParams = Type.Object({ id: Type.String({ pattern: APPROVAL_ID_PATTERN }) });
type ApprovalIdParams = Static<typeof ApprovalIdParams>;

const DecisionBody = Type.Object(
  {
    behavior: Type.Enum(["allow", "deny"]),
    input: Type.Optional(
      Type.Unknown({ description: "With allow: the tool's input to use instead (where the CLI takes one: claude)." }),
    ),
    message: Type.Optional(Type.String({ maxLength: 4096, description: "With deny: what the agent is told." })),
  },
  { additionalProperties: false },
);
type DecisionBody = Static<typeof DecisionBody>;

const DecisionResponse = Type.Object({
  id: Type.String(),
  decision: Type.Object({
    behavior: Type.Enum(["allow", "deny"]),
    input: Type.Optional(Type.Unknown()),
    message: Type.Optional(Type.String()),
  }),
  approval: ApprovalSchema,
});

const errors = { 400: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

const noApproval = (reply: FastifyReply, id: string) =>
  reply
    .status(404)
    .send(
      apiError("not_found", `no pending approval ${id}: it was decided, it expired, its run ended, or it is not yours`),
    );

export function approvalsRoutes(app: FastifyInstance, context: ServerContext): void {
  app.get(
    "/approvals",
    {
      schema: {
        summary: "Your live runs' tool calls that wait for a decision",
        description:
          "The permission requests of the runs you started with ask_permissions (only yours: runs started with your API key), oldest first. Each waits until you decide it or server.approval_wait_secs passes (then server.approval_timeout_decision applies); a run that ends takes its requests with it.",
        response: { 200: Type.Object({ approvals: Type.Array(ApprovalSchema) }) },
      },
    },
    async (request) => ({ approvals: context.approvals.list(approvalOwner(context, request)) }),
  );

  app.get(
    "/approvals/:id",
    {
      schema: {
        summary: "One pending approval",
        params: ApprovalIdParams,
        response: { 200: ApprovalSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as ApprovalIdParams;
      return context.approvals.get(id, approvalOwner(context, request)) ?? noApproval(reply, id);
    },
  );

  app.post(
    "/approvals/:id",
    {
      schema: {
        summary: "Allow or deny a pending approval",
        description:
          "allow runs the tool (with input, the edited input where the CLI takes one); deny refuses it and tells the agent message. The run goes on at once. 404 when it was decided, expired, or is not yours.",
        params: ApprovalIdParams,
        body: DecisionBody,
        response: { 200: DecisionResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { id } = request.params as ApprovalIdParams;
      const body = request.body as DecisionBody;
      const decision: PermissionDecision =
        body.behavior === "allow"
          ? { behavior: "allow", ...(body.input !== undefined ? { input: body.input } : {}) }
          : { behavior: "deny", ...(body.message ? { message: body.message } : {}) };
      const owner = approvalOwner(context, request);
      const pending = context.approvals.get(id, owner);
      if (!pending) return noApproval(reply, id);
      // Allowing one call is granting its tool: the same policy as granting it up front.
      const server = context.config.current.server;
      const grantable =
        server.allow_dangerous_modes || server.grantable_tools.some((tool) => tool === "*" || tool === pending.tool);
      if (decision.behavior === "allow" && !grantable) {
        return reply
          .status(403)
          .send(
            apiError(
              "forbidden",
              `the server does not let network clients allow ${pending.tool}`,
              undefined,
              "the server's admin can list it in server.grantable_tools (or allow every tool with server.allow_dangerous_modes); deny it instead",
            ),
          );
      }
      const approval = context.approvals.decide(id, owner, decision);
      if (!approval) return noApproval(reply, id);
      return { id, decision, approval };
    },
  );
}
