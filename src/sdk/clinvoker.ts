/**
 * The library's front door: `new Clinvoker()` runs prompts on Claude Code, Codex or Gemini CLI and
 * streams their unified events. One client runs many queries at once, each in its own subprocess,
 * under one admission gate. Every call takes an AbortSignal; an aborted call kills its CLI's process
 * group and rejects (or ends its iterator) with a `cancelled` ClinvkError.
 */
import { clinvkHome } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import { ClinvkError } from "../core/errors.js";
import type { BackendName, RunEvent } from "../core/events.js";
import type { RunRequest, RunResult } from "../core/request.js";
import type { ClientToolChoice } from "../core/tools.js";
import type { Engine } from "../engine/engine.js";
import { composeEngine } from "../engine/from-config.js";
import type { BackendStatus } from "../engine/registry.js";
import { newestResumable } from "../engine/session-requests.js";
import { sessionStoreFromConfig } from "../engine/session-store.js";
import type { SessionStore } from "../sessions/store.js";
import { type ChainSummary, runChain } from "../workflows/chain.js";
import { type CompareOptions, type CompareSummary, runCompare } from "../workflows/compare.js";
import { drainWorkflow, type WorkflowEvent } from "../workflows/events.js";
import { type ParallelSummary, runParallel } from "../workflows/parallel.js";
import type { ChainSpec, TaskSpec } from "../workflows/specs.js";
import { type ClinvokerOptions, resolveConfig } from "./options.js";
import { RunningQuery } from "./running-query.js";
import { type CallOptions, ClinvokerSession, type SessionTurns, type TurnOptions } from "./session.js";
import { clientToolsOf, type Tool, type ToolOutput } from "./tools.js";

export type { CallOptions, RunningQuery, Tool, ToolOutput };

export interface WorkflowCallOptions extends CallOptions {
  /** Live progress: queued, started, output and finished events of each task. */
  onEvent?: (event: WorkflowEvent) => void;
}

/** A run request without the backend is sent to `default_backend`. */
export type Query = Omit<RunRequest, "backend" | "clientTools"> & {
  backend?: RunRequest["backend"];
  /** Tools of yours that the agent may call; each call runs the tool's `run` here. */
  tools?: readonly Tool[];
  /** Whether the agent must call one of them (`required`) or the named one; default `auto`. */
  toolChoice?: ClientToolChoice;
  /** With `tools`, keep the CLI's own tools too (default: only yours). */
  keepBuiltinTools?: boolean;
};

export class Clinvoker {
  readonly config: Config;
  readonly store: SessionStore | undefined;
  private readonly engine: Engine;

  constructor(options: ClinvokerOptions = {}) {
    this.config = resolveConfig(options);
    this.store =
      options.store === false
        ? undefined
        : (options.store ?? sessionStoreFromConfig(this.config, options.home ?? clinvkHome()));
    this.engine = composeEngine(this.config, { store: this.store, env: options.env, livePool: true }).engine;
  }

  /**
   * Starts the live processes the config asks for ahead (`live.prewarm`: a count per backend), so
   * that a new session's first turn costs no start either. Resolves when they are ready.
   */
  async startup(): Promise<void> {
    const counts = this.config.live.prewarm;
    await Promise.all((Object.keys(counts) as BackendName[]).map((name) => this.engine.prewarm(name, counts[name])));
  }

  /** Ends this client's live processes (idle ones, and those of runs still going). */
  async close(): Promise<void> {
    await this.engine.closeLive();
  }

  /**
   * Starts a prompt and hands back its events, its result, and the means to stop it:
   * `interrupt()` ends the turn and keeps the session, `cancel()` kills the CLI.
   */
  query(query: Query, options: CallOptions = {}): RunningQuery {
    return new RunningQuery((control) => this.stream(query, control), options);
  }

  /** Runs a prompt to the end. A backend failure is a result with `error`; an abort rejects. */
  async run(query: Query, options: CallOptions = {}): Promise<RunResult> {
    let result: RunResult | undefined;
    for await (const event of this.stream(query, options)) if (event.type === "result") result = event;
    return result as RunResult;
  }

  /**
   * Runs a prompt whose answer must be JSON matching `outputSchema` (checked, and repaired once by
   * asking again); resolves to the parsed value. A run that fails, or whose answer still does not
   * match (`bad_output`), rejects with its ClinvkError.
   */
  async runObject<T = unknown>(
    query: Query & { outputSchema: Record<string, unknown> },
    options: CallOptions = {},
  ): Promise<{ object: T; result: RunResult }> {
    const result = await this.run(query, options);
    if (result.error) throw ClinvkError.fromInfo(result.error);
    return { object: JSON.parse(result.text) as T, result };
  }

  /**
   * Streams a prompt's unified events; the last is the `result` event. Breaking out of the loop
   * kills the CLI. Invalid queries throw before anything is spawned.
   */
  async *stream(query: Query, options: CallOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const { tools, toolChoice, keepBuiltinTools, ...rest } = query;
    const request: RunRequest = {
      ...rest,
      backend: query.backend ?? this.config.default_backend,
      ...(tools?.length ? { clientTools: clientToolsOf(tools, { choice: toolChoice, keepBuiltinTools }) } : {}),
    };
    for await (const event of this.engine.stream(request, { signal: options.signal, interrupt: options.interrupt })) {
      if (event.type === "result" && event.error?.code === "cancelled" && options.signal?.aborted) {
        throw new ClinvkError("cancelled", event.error.message);
      }
      yield event;
    }
    if (options.signal?.aborted) throw new ClinvkError("cancelled", "the run was cancelled");
  }

  /** A new conversation: each `send` continues the same CLI session. */
  session(options: TurnOptions & { backend?: RunRequest["backend"] } = {}): ClinvokerSession {
    return new ClinvokerSession(this.turns(), { ...options, backend: options.backend ?? this.config.default_backend });
  }

  /** An earlier conversation, by clinvoker session id (or its first characters). */
  async resume(id: string, options: TurnOptions = {}): Promise<ClinvokerSession> {
    const session = await this.requireStore().getByPrefix(id);
    return this.wrap(session.id, session.backend, session.working_dir, session.backend_session_id, options);
  }

  /** The newest conversation that can be resumed (of a backend, in a directory, if given). */
  async continue(
    where: { backend?: BackendName; workdir?: string } = {},
    options: TurnOptions = {},
  ): Promise<ClinvokerSession> {
    const newest = await newestResumable(this.requireStore(), where);
    if (!newest) throw new ClinvkError("session_not_found", "no resumable session", "start one with client.session()");
    return this.wrap(newest.id, newest.backend, newest.working_dir, newest.backend_session_id, options);
  }

  /** Many tasks at once (see `clinvk parallel`). */
  parallel(
    tasks: TaskSpec[],
    options: WorkflowCallOptions & { maxParallel?: number; failFast?: boolean } = {},
  ): Promise<ParallelSummary> {
    return drainWorkflow(
      runParallel(this.engine, tasks, {
        maxParallel: options.maxParallel ?? this.config.parallel.max_workers,
        failFast: options.failFast,
        signal: options.signal,
        defaultBackend: this.config.default_backend,
      }),
      options.onEvent,
    );
  }

  /** Steps one after another, each fed the answers before it (see `clinvk chain`). */
  chain(spec: ChainSpec, options: WorkflowCallOptions & { continueOnFailure?: boolean } = {}): Promise<ChainSummary> {
    return drainWorkflow(
      runChain(this.engine, spec, {
        signal: options.signal,
        defaultBackend: this.config.default_backend,
        continueOnFailure: options.continueOnFailure,
      }),
      options.onEvent,
    );
  }

  /** One prompt on several backends (see `clinvk compare`). */
  compare(query: Omit<CompareOptions, "signal">, options: WorkflowCallOptions = {}): Promise<CompareSummary> {
    return drainWorkflow(runCompare(this.engine, { ...query, signal: options.signal }), options.onEvent);
  }

  /** Each backend: installed or not, where, which version. */
  backends(): Promise<BackendStatus[]> {
    return this.engine.registry.statuses();
  }

  private requireStore(): SessionStore {
    if (!this.store) throw new ClinvkError("session_error", "this client keeps no sessions (store: false)");
    return this.store;
  }

  private wrap(
    id: string,
    backend: BackendName,
    workdir: string,
    backendSessionId: string | undefined,
    options: TurnOptions,
  ) {
    return new ClinvokerSession(this.turns(), { workdir, ...options, backend }, { id, backendSessionId });
  }

  /** What a conversation of this client runs through. */
  private turns(): SessionTurns {
    const store = this.store;
    return {
      stream: (request, options) => this.stream(request, options),
      ...(store ? { load: (id: string) => store.get(id) } : {}),
    };
  }
}
