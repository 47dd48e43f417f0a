/** Schemas of the runs API (`/api/v1/runs`): the same TypeBox objects validate and document it. */
import Type, { type Static } from "typebox";
import { BACKEND_NAMES } from "../../core/backend-names.js";
import { UsageSchema } from "../../core/events.js";
import { RUN_ID_PATTERN, RUN_STATES } from "../../engine/run-tracker.js";

export const RunRecordSchema = Type.Object({
  id: Type.String({ pattern: RUN_ID_PATTERN, description: "The run's id (not a session id)." }),
  state: Type.Enum(RUN_STATES, {
    description:
      "queued, running, or how it ended: succeeded, failed, cancelled (killed), interrupted (its turn stopped; its session goes on).",
  }),
  backend: Type.Enum(BACKEND_NAMES),
  model: Type.Optional(Type.String()),
  workdir: Type.String(),
  session_id: Type.Optional(Type.String({ description: "clinvoker's session, once the run has one." })),
  queue_position: Type.Optional(Type.Integer({ description: "Place in the admission queue (1: next)." })),
  prompt_preview: Type.String({ description: "The prompt's first 200 characters." }),
  created_at: Type.String(),
  started_at: Type.Optional(Type.String()),
  finished_at: Type.Optional(Type.String()),
  duration_ms: Type.Integer({ description: "From creation to the end, or to now while it goes on." }),
  usage: Type.Optional(UsageSchema),
  error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
  event_count: Type.Integer({ description: "Events seen; the buffer keeps the last of them." }),
  instance: Type.Optional(
    Type.String({ description: "With Redis: the instance that runs it (its id in /health), once one has taken it." }),
  ),
});

export const RunsQuery = Type.Object(
  {
    state: Type.Optional(Type.Enum(RUN_STATES)),
    backend: Type.Optional(Type.Enum(BACKEND_NAMES)),
    limit: Type.Optional(Type.String({ pattern: "^\\d{1,4}$", description: "At most this many (default 100)." })),
  },
  { additionalProperties: false },
);
export type RunsQuery = Static<typeof RunsQuery>;

export const RunIdParams = Type.Object({ id: Type.String({ pattern: RUN_ID_PATTERN }) });
export type RunIdParams = Static<typeof RunIdParams>;

export const RunEventsHeaders = Type.Object({
  "last-event-id": Type.Optional(
    Type.String({ pattern: "^\\d{1,9}$", description: "Replay the buffered events after this one." }),
  ),
});

export const RunListResponse = Type.Object({ runs: Type.Array(RunRecordSchema) });

export const CancelResponse = Type.Object({
  cancelled: Type.Boolean({ description: "True: the run was stopped (its CLI's process group is killed)." }),
  run: RunRecordSchema,
});

export const InterruptResponse = Type.Object({
  interrupted: Type.Boolean({
    description: "True: the run was asked to stop its turn (a live run keeps its process and conversation).",
  }),
  run: RunRecordSchema,
});
