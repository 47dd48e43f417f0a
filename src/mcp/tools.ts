/**
 * The MCP tools clinvoker offers, as a model reads them: a name, a description that says when to
 * use the tool and what comes back, and a JSON Schema of the arguments (TypeBox, so that the same
 * object validates the call). Field names are the native HTTP API's, so that a policy written for
 * its bodies applies to them unchanged.
 */
import Type, { type Static, type TSchema } from "typebox";
import { BACKEND_NAMES } from "../core/backend-names.js";
import { APPROVAL_MODES, SANDBOX_MODES } from "../core/modes.js";
import { SESSION_STATUSES } from "../sessions/session.js";
import { StepSpecSchema, TaskSpecSchema } from "../workflows/specs.js";

const Backend = Type.Enum(BACKEND_NAMES, {
  description: "Which coding agent: claude (Claude Code), codex (OpenAI Codex) or gemini (Gemini CLI).",
});
const Model = Type.String({
  description: "A model name the backend knows, or an alias: fast, balanced, best. Default: the backend's.",
});
const Workdir = Type.String({
  description: "Absolute path of the directory the agent works in. Default: the server's working directory.",
});

export const RunArgs = Type.Object(
  {
    prompt: Type.String({ minLength: 1, description: "The task or question for the agent." }),
    backend: Type.Optional(Backend),
    model: Type.Optional(Model),
    workdir: Type.Optional(Workdir),
    session_id: Type.Optional(
      Type.String({
        pattern: "^[a-fA-F0-9]{1,32}$",
        description:
          "Continue this clinvoker session (its id, or the id's first characters, from an earlier run or sessions_list). The session's backend and directory are used.",
      }),
    ),
    ephemeral: Type.Optional(Type.Boolean({ description: "Leave no session behind (it cannot be continued)." })),
    approval_mode: Type.Optional(
      Type.Enum(APPROVAL_MODES, { description: "How freely the agent may act: default, auto, none, always." }),
    ),
    sandbox_mode: Type.Optional(
      Type.Enum(SANDBOX_MODES, { description: "What the agent may touch: default, read-only, workspace, full." }),
    ),
    system_prompt: Type.Optional(Type.String({ description: "Extra instructions for the agent." })),
    max_turns: Type.Optional(Type.Integer({ minimum: 0, description: "Stop after this many agent turns." })),
    timeout_secs: Type.Optional(Type.Number({ minimum: 0, description: "Stop the run after this many seconds." })),
  },
  { additionalProperties: false },
);
export type RunArgs = Static<typeof RunArgs>;

export const ParallelArgs = Type.Object(
  {
    tasks: Type.Array(TaskSpecSchema, {
      minItems: 1,
      maxItems: 100,
      description:
        "The tasks. Each needs a prompt; id, backend, model, workdir and depends_on (ids of tasks that must succeed first) are optional. A prompt may use {{tasks.ID.output}} of a task it depends on.",
    }),
    max_parallel: Type.Optional(
      Type.Integer({ minimum: 0, description: "Tasks running at once (default: the config's parallel.max_workers)." }),
    ),
    fail_fast: Type.Optional(Type.Boolean({ description: "At the first failure, cancel the other tasks." })),
  },
  { additionalProperties: false },
);
export type ParallelArgs = Static<typeof ParallelArgs>;

export const ChainArgs = Type.Object(
  {
    steps: Type.Array(StepSpecSchema, {
      minItems: 1,
      description:
        "The steps, in order. Each needs a prompt; name, backend, model and workdir are optional. A prompt may use {{previous}} (the answer of the step before) and {{steps.NAME.output}}.",
    }),
    stop_on_failure: Type.Optional(Type.Boolean({ description: "Stop at the first failed step (default true)." })),
    pass_working_dir: Type.Optional(
      Type.Boolean({ description: "Each step works in the directory of the one before." }),
    ),
  },
  { additionalProperties: false },
);
export type ChainArgs = Static<typeof ChainArgs>;

export const CompareArgs = Type.Object(
  {
    prompt: Type.String({ minLength: 1, description: "The prompt every backend gets." }),
    backends: Type.Optional(
      Type.Array(Backend, { minItems: 1, description: "Which backends (default: every installed one)." }),
    ),
    model: Type.Optional(Model),
    workdir: Type.Optional(Workdir),
    sequential: Type.Optional(Type.Boolean({ description: "One backend after another instead of at once." })),
  },
  { additionalProperties: false },
);
export type CompareArgs = Static<typeof CompareArgs>;

export const SessionsListArgs = Type.Object(
  {
    backend: Type.Optional(Backend),
    status: Type.Optional(Type.Enum(SESSION_STATUSES)),
    tag: Type.Optional(Type.String()),
    workdir: Type.Optional(Type.String({ description: "Only sessions of this directory." })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "At most this many (default 20)." })),
    offset: Type.Optional(Type.Integer({ minimum: 0, description: "Skip this many." })),
  },
  { additionalProperties: false },
);
export type SessionsListArgs = Static<typeof SessionsListArgs>;

export const SessionShowArgs = Type.Object(
  {
    session_id: Type.String({
      pattern: "^[a-fA-F0-9]{1,32}$",
      description: "The session's id or the id's first characters.",
    }),
  },
  { additionalProperties: false },
);
export type SessionShowArgs = Static<typeof SessionShowArgs>;

export interface ToolDefinition {
  name: ToolName;
  title: string;
  description: string;
  inputSchema: TSchema;
  /** Hints for the client (MCP tool annotations). */
  annotations: { readOnlyHint: boolean; openWorldHint: boolean };
}

export const TOOL_NAMES = ["run", "parallel", "chain", "compare", "sessions_list", "session_show"] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

const runs = { readOnlyHint: false, openWorldHint: true };
const reads = { readOnlyHint: true, openWorldHint: false };

export const TOOLS: Record<ToolName, ToolDefinition> = {
  run: {
    name: "run",
    title: "Run a coding agent",
    description:
      "Runs one prompt on a coding-agent CLI (claude, codex or gemini) in a directory and returns its final answer. Use it to delegate a task to another agent or to get a second opinion. The result also carries session_id: pass it back as session_id to continue the same conversation. Long runs report progress and can be cancelled.",
    inputSchema: RunArgs,
    annotations: runs,
  },
  parallel: {
    name: "parallel",
    title: "Run agent tasks at once",
    description:
      "Runs several prompts at the same time, each on its own backend, and returns every task's answer and status. Tasks may depend on others (depends_on) and use their answers. Use it to split independent work across agents.",
    inputSchema: ParallelArgs,
    annotations: runs,
  },
  chain: {
    name: "chain",
    title: "Run agent steps one after another",
    description:
      "Runs steps in order, each fed the answers of the steps before it ({{previous}}, {{steps.NAME.output}}), for example draft on one backend, review on another, revise on a third. Returns every step's answer.",
    inputSchema: ChainArgs,
    annotations: runs,
  },
  compare: {
    name: "compare",
    title: "Compare the agents' answers",
    description:
      "Runs one prompt on several backends (default: every installed one) and returns their answers side by side, with status, duration and token usage of each.",
    inputSchema: CompareArgs,
    annotations: runs,
  },
  sessions_list: {
    name: "sessions_list",
    title: "List clinvoker sessions",
    description:
      "Lists clinvoker's saved sessions, newest first: id, backend, directory, status, title and turns. A session's id can be passed to run as session_id to continue it.",
    inputSchema: SessionsListArgs,
    annotations: reads,
  },
  session_show: {
    name: "session_show",
    title: "Show one clinvoker session",
    description: "Everything clinvoker keeps about one session: backend, directory, model, turns, token usage, tags.",
    inputSchema: SessionShowArgs,
    annotations: reads,
  },
};
