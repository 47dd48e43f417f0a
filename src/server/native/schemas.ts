/**
 * Request and response schemas of the native API (`/api/v1`). The same TypeBox objects validate
 * requests and generate /openapi.json. Field names are the Go clinvoker's.
 */
import Type, { type Static } from "typebox";
import { BACKEND_NAMES } from "../../core/backend-names.js";
import { APPROVAL_MODES, SANDBOX_MODES } from "../../core/modes.js";
import { SESSION_STATUSES } from "../../sessions/session.js";
import { ChainSpecSchema, TaskSpecSchema } from "../../workflows/specs.js";

const Backend = Type.Enum(BACKEND_NAMES);

const runOptions = {
  model: Type.Optional(Type.String({ description: "Model name or alias (fast, balanced, best)." })),
  approval_mode: Type.Optional(Type.Enum(APPROVAL_MODES)),
  sandbox_mode: Type.Optional(Type.Enum(SANDBOX_MODES)),
  output_format: Type.Optional(
    Type.Enum(["", "default", "text", "json", "stream-json"], {
      description: "stream-json answers with NDJSON of unified events; the rest with one JSON object.",
    }),
  ),
  system_prompt: Type.Optional(Type.String()),
  max_tokens: Type.Optional(Type.Integer({ minimum: 0, description: "Accepted; no CLI takes it." })),
  max_turns: Type.Optional(Type.Integer({ minimum: 0 })),
  allowed_tools: Type.Optional(Type.Array(Type.String())),
  verbose: Type.Optional(Type.Boolean()),
  dry_run: Type.Optional(Type.Boolean()),
  extra: Type.Optional(
    Type.Array(Type.String(), { description: "The CLI's own flags; checked against an allowlist." }),
  ),
  timeout_secs: Type.Optional(Type.Number({ minimum: 0, description: "Wall-clock limit of the run." })),
  include_raw: Type.Optional(Type.Boolean({ description: "Attach each backend line to its event (stream-json)." })),
  live: Type.Optional(
    Type.Boolean({
      description:
        "Drive the CLI as a long-lived process (default: the server's live.enabled and backends.<name>.live). The process stays up between turns, so the session's next turn starts warm (its start event says live: warm or cold); POST /runs/{id}/interrupt stops a turn and keeps the conversation. A run live mode cannot carry (client tools, a fork) goes one-shot with a warning.",
    }),
  ),
  ask_permissions: Type.Optional(
    Type.Boolean({
      description:
        "Tool calls the approval mode leaves to asking wait in GET /api/v1/approvals until you allow or deny them (POST /approvals/{id}), or server.approval_wait_secs passes and server.approval_timeout_decision applies. Implies live unless live is false; only live runs ask.",
    }),
  ),
};

const ClientToolSchema = Type.Object(
  {
    name: Type.String({ description: "1 to 64 letters, digits, _ or -." }),
    description: Type.Optional(Type.String()),
    input_schema: Type.Record(Type.String(), Type.Unknown(), { description: "A JSON Schema of an object." }),
  },
  { additionalProperties: false },
);

export const ToolChoiceSchema = Type.Union([
  Type.Literal("auto"),
  Type.Literal("required"),
  Type.Object({ name: Type.String() }, { additionalProperties: false }),
]);

export const PromptBody = Type.Object(
  {
    backend: Type.Optional(Backend),
    prompt: Type.String({ minLength: 1 }),
    workdir: Type.Optional(
      Type.String({ description: "Absolute directory, subject to the server's allow and block lists." }),
    ),
    ephemeral: Type.Optional(Type.Boolean({ description: "Leave no session behind." })),
    session_id: Type.Optional(Type.String({ description: "Continue this clinvoker session." })),
    title: Type.Optional(Type.String()),
    metadata: Type.Optional(Type.Record(Type.String(), Type.String())),
    tools: Type.Optional(
      Type.Array(ClientToolSchema, {
        minItems: 1,
        maxItems: 128,
        description:
          "Your own tools: a call ends the response with status requires_action and tool_calls; POST /tool-results continues the run. JSON responses only.",
      }),
    ),
    tool_choice: Type.Optional(ToolChoiceSchema),
    ...runOptions,
  },
  { additionalProperties: false },
);
export type PromptBody = Static<typeof PromptBody>;

export const ResumeBody = Type.Object(
  { prompt: Type.String({ minLength: 1 }), ...runOptions },
  { additionalProperties: false },
);
export type ResumeBody = Static<typeof ResumeBody>;

const TokenUsage = Type.Object({
  input_tokens: Type.Integer(),
  output_tokens: Type.Integer(),
  cached_tokens: Type.Integer(),
  reasoning_tokens: Type.Integer(),
  cost_usd: Type.Optional(Type.Number()),
});

export const PromptResponse = Type.Object({
  session_id: Type.Union([Type.String(), Type.Null()], {
    description: "clinvoker's session; null for a dry run or an ephemeral run (always present, as in the Go API).",
  }),
  backend: Backend,
  status: Type.Enum(["success", "error", "requires_action"]),
  exit_code: Type.Integer(),
  duration_ms: Type.Integer(),
  output: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  error_code: Type.Optional(Type.String()),
  error_hint: Type.Optional(Type.String()),
  backend_session_id: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  token_usage: Type.Optional(TokenUsage),
  dry_run: Type.Optional(Type.Boolean()),
  tool_calls: Type.Optional(
    Type.Array(
      Type.Object({ id: Type.String(), name: Type.String(), arguments: Type.Record(Type.String(), Type.Unknown()) }),
      { description: "With status requires_action: the calls of your tools that wait for their results." },
    ),
  ),
});
export type PromptResponse = Static<typeof PromptResponse>;

export const ToolResultsBody = Type.Object(
  {
    results: Type.Array(
      Type.Object(
        {
          tool_call_id: Type.String({ minLength: 1, maxLength: 64 }),
          output: Type.String({ maxLength: 1_048_576 }),
          is_error: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 128 },
    ),
  },
  { additionalProperties: false },
);
export type ToolResultsBody = Static<typeof ToolResultsBody>;

export const ParallelBody = Type.Object(
  {
    tasks: Type.Array(TaskSpecSchema, { minItems: 1, maxItems: 100 }),
    max_parallel: Type.Optional(Type.Integer({ minimum: 0 })),
    fail_fast: Type.Optional(Type.Boolean()),
    dry_run: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ParallelBody = Static<typeof ParallelBody>;

export const ChainBody = ChainSpecSchema;

export const CompareBody = Type.Object(
  {
    backends: Type.Array(Backend, { minItems: 1 }),
    prompt: Type.String({ minLength: 1 }),
    model: Type.Optional(Type.String()),
    workdir: Type.Optional(Type.String()),
    sequential: Type.Optional(Type.Boolean()),
    dry_run: Type.Optional(Type.Boolean()),
    ephemeral: Type.Optional(
      Type.Boolean({ description: "Default true; false keeps each backend's answer as a session." }),
    ),
  },
  { additionalProperties: false },
);
export type CompareBody = Static<typeof CompareBody>;

export const SessionsQuery = Type.Object(
  {
    backend: Type.Optional(Backend),
    status: Type.Optional(Type.Enum(SESSION_STATUSES)),
    tag: Type.Optional(Type.String()),
    workdir: Type.Optional(Type.String()),
    q: Type.Optional(
      Type.String({
        maxLength: 200,
        description:
          "Search: a plain, case-insensitive substring of the title, a tag, the workdir, the initial prompt or a kept turn's prompt.",
      }),
    ),
    // Query values arrive as text; the server does not coerce types (a body's 5 is not "5").
    limit: Type.Optional(
      Type.String({ pattern: "^\\d{1,4}$", description: "At most this many (default 100, max 1000)." }),
    ),
    offset: Type.Optional(Type.String({ pattern: "^\\d{1,9}$", description: "Skip this many." })),
  },
  { additionalProperties: false },
);
export type SessionsQuery = Static<typeof SessionsQuery>;

export const SessionIdParams = Type.Object({ id: Type.String({ pattern: "^[a-fA-F0-9]{1,32}$" }) });
export type SessionIdParams = Static<typeof SessionIdParams>;

export const ErrorResponse = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    hint: Type.Optional(Type.String()),
    details: Type.Optional(Type.Unknown()),
  }),
});
