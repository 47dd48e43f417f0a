/**
 * The task and chain file formats (the Go clinvoker's field names, plus `depends_on`), as TypeBox
 * schemas: the same definitions validate files for the CLI and request bodies for the server.
 */
import Type, { type Static } from "typebox";
import { BACKEND_NAMES } from "../core/backend-names.js";
import { APPROVAL_MODES, SANDBOX_MODES } from "../core/modes.js";

const runFields = {
  backend: Type.Optional(Type.Enum(BACKEND_NAMES, { description: "Default: default_backend." })),
  prompt: Type.String({ minLength: 1 }),
  model: Type.Optional(Type.String()),
  workdir: Type.Optional(Type.String()),
  approval_mode: Type.Optional(Type.Enum(APPROVAL_MODES)),
  sandbox_mode: Type.Optional(Type.Enum(SANDBOX_MODES)),
  output_format: Type.Optional(
    Type.Enum(["", "default", "text", "json", "stream-json"], { description: "Accepted; results are always parsed." }),
  ),
  max_tokens: Type.Optional(Type.Integer({ minimum: 0, description: "Accepted; no CLI takes it." })),
  max_turns: Type.Optional(Type.Integer({ minimum: 0 })),
  system_prompt: Type.Optional(Type.String()),
  verbose: Type.Optional(Type.Boolean()),
  extra: Type.Optional(Type.Array(Type.String(), { description: "The CLI's own flags (allowlisted)." })),
};

export const TaskSpecSchema = Type.Object(
  {
    ...runFields,
    dry_run: Type.Optional(Type.Boolean()),
    ephemeral: Type.Optional(Type.Boolean({ description: "Default true: tasks leave no session." })),
    id: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_.-]{1,64}$" })),
    name: Type.Optional(Type.String()),
    tags: Type.Optional(Type.Array(Type.String())),
    meta: Type.Optional(Type.Record(Type.String(), Type.String())),
    depends_on: Type.Optional(Type.Array(Type.String(), { description: "Ids of tasks that must succeed first." })),
  },
  { additionalProperties: false },
);
export type TaskSpec = Static<typeof TaskSpecSchema>;

export const ParallelSpecSchema = Type.Object(
  {
    tasks: Type.Array(TaskSpecSchema, { minItems: 1 }),
    max_parallel: Type.Optional(Type.Integer({ minimum: 0 })),
    fail_fast: Type.Optional(Type.Boolean()),
    output_dir: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type ParallelSpec = Static<typeof ParallelSpecSchema>;

export const StepSpecSchema = Type.Object(
  { ...runFields, name: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type StepSpec = Static<typeof StepSpecSchema>;

export const ChainSpecSchema = Type.Object(
  {
    steps: Type.Array(StepSpecSchema, { minItems: 1 }),
    stop_on_failure: Type.Optional(Type.Boolean({ description: "Default true." })),
    pass_working_dir: Type.Optional(Type.Boolean()),
    pass_session_id: Type.Optional(Type.Boolean({ description: "Not supported: chains are ephemeral." })),
    persist_sessions: Type.Optional(Type.Boolean({ description: "Not supported: chains are ephemeral." })),
    dry_run: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type ChainSpec = Static<typeof ChainSpecSchema>;
