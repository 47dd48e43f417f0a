/** What the server's routes and plugins share. */
import type { FastifyInstance } from "fastify";
import type { LiveConfig } from "../config/live.js";
import type { Engine } from "../engine/engine.js";
import type { Redis } from "../engine/redis.js";
import type { RunDirectory } from "../engine/run-directory.js";
import type { RunQueues } from "../engine/run-queue.js";
import type { SessionStore } from "../sessions/store.js";
import type { PromptOverheads } from "./compat/prompt-overhead.js";
import type { ToolRuns } from "./compat/tool-runs.js";
import type { Approvals } from "./native/approvals.js";
import type { ApiKeyRing } from "./plugins/api-keys.js";

export interface ServerContext {
  engine: Engine;
  store: SessionStore;
  config: LiveConfig;
  apiKeys: ApiKeyRing;
  /** The runs the runs API lists and controls: this instance's, or with Redis every instance's. */
  runs: RunDirectory;
  /** Runs in flight, so that a shutdown past its deadline can stop them. */
  active: Set<AbortController>;
  /** Turns of the compatible APIs that wait for their client's tool results. */
  toolRuns: ToolRuns;
  /** Permission requests of live runs that wait for their caller's decision (the approvals API). */
  approvals: Approvals;
  /** What each CLI adds to every prompt, as measured (count_tokens adds it). */
  promptOverheads: PromptOverheads;
  startedAt: number;
  version: string;
  /** `server.role`: api hands runs to workers, worker only runs them, all does both. */
  role: ServeRole;
  /** The work queues (with Redis), for /health. */
  queues?: RunQueues;
  /** With Redis: this instance's id, as the runs it runs name it. */
  instance?: string;
  /** The Redis that instances share (config `redis.url`), when there is one. */
  redis?: { client: Redis; where: string; prefix: string };
}

export type ServeRole = "all" | "api" | "worker";

/** A file of routes: registers them on its own encapsulated scope. */
export type RouteFile = (app: FastifyInstance, context: ServerContext) => void;
