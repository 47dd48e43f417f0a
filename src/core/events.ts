/**
 * The unified event: one versioned schema for every backend, published as TypeScript types (below)
 * and as JSON Schema (`schema/run-event.schema.json`, generated from these same definitions).
 * A run yields events in order and always ends with exactly one `result` event.
 */
import Type, { type Static } from "typebox";
import { BACKEND_NAMES, type BackendName, isBackendName } from "./backend-names.js";
import { ERROR_CODES } from "./errors.js";
import { EVENT_SCHEMA_VERSION, emptyUsage } from "./event-values.js";

export { BACKEND_NAMES, type BackendName, EVENT_SCHEMA_VERSION, emptyUsage, isBackendName };

const Backend = Type.Enum(BACKEND_NAMES, { description: "The CLI backend that produced the event." });

export const UsageSchema = Type.Object(
  {
    input_tokens: Type.Integer({ minimum: 0, description: "Input tokens, including cached ones." }),
    output_tokens: Type.Integer({ minimum: 0, description: "Output tokens, including reasoning ones." }),
    cached_tokens: Type.Integer({ minimum: 0, description: "Input tokens served from the provider's cache." }),
    reasoning_tokens: Type.Integer({ minimum: 0, description: "Output tokens spent on reasoning." }),
    cost_usd: Type.Optional(
      Type.Number({ minimum: 0, description: "Cost as reported by the CLI, where it reports one." }),
    ),
  },
  { description: "Token usage of the whole run so far (each usage event replaces the previous one)." },
);
export type Usage = Static<typeof UsageSchema>;

export const ErrorInfoSchema = Type.Object({
  code: Type.Enum(ERROR_CODES, { description: "Stable error code." }),
  message: Type.String({ description: "What went wrong, for a person." }),
  hint: Type.Optional(Type.String({ description: "What to do about it." })),
  retry_after_s: Type.Optional(
    Type.Integer({ minimum: 1, description: "Seconds the provider asked to wait before a retry, when it said." }),
  ),
});

const common = {
  v: Type.Literal(EVENT_SCHEMA_VERSION, { description: "Schema version." }),
  seq: Type.Integer({ minimum: 0, description: "Position of the event in its run, from 0." }),
  ts: Type.String({ description: "When clinvoker saw the event (ISO 8601)." }),
  backend: Backend,
  session_id: Type.Optional(Type.String({ description: "clinvoker's own session id, when the run belongs to one." })),
  raw: Type.Optional(Type.Unknown({ description: "The backend's original line, when requested." })),
};

const event = <T extends string, P extends Record<string, Parameters<typeof Type.Object>[0][string]>>(
  type: T,
  properties: P,
  description: string,
) => Type.Object({ type: Type.Literal(type), ...common, ...properties }, { description });

export const QueuedEventSchema = event(
  "queued",
  { position: Type.Integer({ minimum: 1, description: "1-based place in the queue for a free slot." }) },
  "The run waits for a free slot (the admission gate); repeated as the position changes.",
);

export const StartEventSchema = event(
  "start",
  {
    model: Type.Optional(Type.String({ description: "The model requested, after alias resolution." })),
    workdir: Type.String({ description: "Working directory of the CLI." }),
    command: Type.Array(Type.String(), { description: "The argv that was spawned (program first)." }),
    resumed: Type.Boolean({ description: "Whether this run resumes an earlier backend session." }),
    warnings: Type.Array(Type.String(), { description: "Options this backend cannot honour, and similar." }),
    live: Type.Optional(
      Type.Union([Type.Literal("warm"), Type.Literal("cold")], {
        description:
          "The run went to a long-lived process of the CLI: one that was already running (warm) or one started for it (cold); absent: a one-shot process.",
      }),
    ),
  },
  "The CLI was started.",
);

export const InitEventSchema = event(
  "init",
  {
    backend_session_id: Type.Optional(Type.String({ description: "The CLI's own session id (use it to resume)." })),
    model: Type.Optional(Type.String({ description: "The model the CLI reports." })),
    tools: Type.Optional(Type.Array(Type.String())),
  },
  "The CLI reported its session.",
);

export const TextEventSchema = event(
  "text",
  {
    text: Type.String({ description: "A piece of assistant text, in order; pieces are never repeated." }),
    message_id: Type.Optional(Type.String()),
  },
  "Assistant text.",
);

export const ThinkingEventSchema = event(
  "thinking",
  { text: Type.String() },
  "Reasoning text, where the CLI shows it.",
);

export const ToolCallEventSchema = event(
  "tool_call",
  {
    id: Type.String(),
    name: Type.String(),
    input: Type.Unknown({ description: "The tool's arguments as the CLI gives them." }),
  },
  "The agent started a tool.",
);

export const ToolResultEventSchema = event(
  "tool_result",
  {
    id: Type.String(),
    name: Type.Optional(Type.String()),
    output: Type.Optional(Type.String()),
    is_error: Type.Boolean(),
  },
  "A tool finished.",
);

export const UsageEventSchema = event("usage", { usage: UsageSchema }, "Token usage so far.");

export const NoticeEventSchema = event(
  "notice",
  {
    level: Type.Union([Type.Literal("info"), Type.Literal("warn")]),
    message: Type.String(),
    hint: Type.Optional(Type.String({ description: "What to do about it." })),
  },
  "Something worth knowing that is not a failure, such as a retry by the CLI.",
);

export const PermissionEventSchema = event(
  "permission",
  {
    id: Type.String({ description: "The request's id, the same in its asked and decided events." }),
    state: Type.Union([Type.Literal("asked"), Type.Literal("allowed"), Type.Literal("denied")]),
    tool: Type.String({ description: "The tool's name in the CLI." }),
    input: Type.Optional(Type.Unknown({ description: "What the agent asked the tool to do." })),
    description: Type.Optional(Type.String({ description: "What the CLI says about the request." })),
    message: Type.Optional(Type.String({ description: "A deny's reason, as the agent is told it." })),
  },
  "A tool call the CLI asks about before it runs (live runs with someone to ask), and the decision.",
);

export const ErrorEventSchema = event(
  "error",
  {
    error: ErrorInfoSchema,
  },
  "The run failed, or part of it did. The result event follows.",
);

export const RawEventSchema = event(
  "raw",
  { stream: Type.Union([Type.Literal("stdout"), Type.Literal("stderr")]), line: Type.String() },
  "A line clinvoker does not understand (a newer CLI's event, or plain text), kept as it was.",
);

export const PermissionDenialSchema = Type.Object(
  {
    tool: Type.String({ description: "The tool's name in the CLI (Write, write_file, ...)." }),
    input: Type.Optional(Type.Unknown({ description: "What the agent asked the tool to do." })),
  },
  { description: "A tool call the CLI refused without asking, because the approval mode did not allow it." },
);

export const ResultEventSchema = event(
  "result",
  {
    status: Type.Union([Type.Literal("success"), Type.Literal("error")]),
    text: Type.String({ description: "The final answer." }),
    backend_session_id: Type.Optional(Type.String()),
    model: Type.Optional(Type.String()),
    usage: UsageSchema,
    duration_ms: Type.Integer({ minimum: 0 }),
    exit_code: Type.Integer({ description: "The CLI's exit code (-1 when it was killed or never started)." }),
    num_turns: Type.Optional(Type.Integer({ minimum: 0 })),
    permission_denials: Type.Optional(Type.Array(PermissionDenialSchema)),
    error: Type.Optional(ErrorInfoSchema),
    dry_run: Type.Optional(Type.Boolean()),
  },
  "The run ended. Always the last event.",
);

export const RunEventSchema = Type.Union(
  [
    QueuedEventSchema,
    StartEventSchema,
    InitEventSchema,
    TextEventSchema,
    ThinkingEventSchema,
    ToolCallEventSchema,
    ToolResultEventSchema,
    UsageEventSchema,
    NoticeEventSchema,
    PermissionEventSchema,
    ErrorEventSchema,
    RawEventSchema,
    ResultEventSchema,
  ],
  { $id: "https://clinvoker.dev/schema/run-event.v1.json", title: "clinvoker run event" },
);

export type RunEvent = Static<typeof RunEventSchema>;
export type RunEventType = RunEvent["type"];
export type EventOf<T extends RunEventType> = Extract<RunEvent, { type: T }>;
export type ResultEvent = EventOf<"result">;
export type PermissionDenial = Static<typeof PermissionDenialSchema>;

type CommonKey = "v" | "seq" | "ts" | "backend" | "session_id";
/** An event as a backend parser produces it: the engine stamps version, sequence, time and backend. */
export type EventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, CommonKey> : never) : never;
