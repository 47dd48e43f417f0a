/**
 * The engine: one RunRequest in, one stream of unified events out, ending in a `result` event.
 * The CLI, the server and the SDK all run prompts through here and nowhere else.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ParsedOutcome, ProcessOutcome } from "../backends/backend.js";
import { ClinvkError, type ErrorInfo, toClinvkError } from "../core/errors.js";
import { EVENT_SCHEMA_VERSION, emptyUsage } from "../core/event-values.js";
import type { BackendName, EventBody, ResultEvent, RunEvent } from "../core/events.js";
import type { BackendSettings, RunRequest, RunResult } from "../core/request.js";
import type { AdmissionGate, AdmissionStats } from "../process/admission.js";
import { type ProcessExit, runProcess } from "../process/run-process.js";
import { type BreakerRegistry, type BreakerState, countsAsBackendFailure } from "./circuit-breaker.js";
import { offeredTools } from "./client-tools.js";
import { applyOverlay } from "./config-overlay.js";
import { type PreparedLive, tooOldForLive } from "./live-choice.js";
import { LiveCli, type LiveItem, type LiveTurnOutcome } from "./live-cli.js";
import type { LivePool } from "./live-pool.js";
import { permissionNotice } from "./permission-notice.js";
import { type EngineAdditions, type PreparedRun, prepareRun, type RunDefaults, type RunGuard } from "./prepare.js";
import { BackendRegistry } from "./registry.js";
import type { RunStart, RunTracker } from "./run-tracker.js";
import { compileSchema, type JsonSchema, nativeSchema, structuredRun } from "./structured-output.js";
import type { ToolBridgeRun } from "./tool-bridge.js";
import type { VersionCache } from "./version-cache.js";

/** Lets sessions (and anything else) follow runs without the engine knowing about them. */
export interface RunHooks {
  /** Before the CLI starts. May name the clinvoker session the run belongs to. */
  beforeRun?(request: RunRequest, prepared: PreparedRun): Promise<{ sessionId?: string } | undefined>;
  /** After the result is known, before it is yielded. */
  afterRun?(request: RunRequest, result: RunResult, prepared: PreparedRun): Promise<void>;
  /** The consumer stopped after beforeRun and before a result (its CLI was killed): no afterRun comes. */
  afterAbandon?(request: RunRequest, sessionId: string | undefined): Promise<void>;
}

export type { RunDefaults };

export interface EngineOptions {
  registry?: BackendRegistry;
  /** Versions of the CLIs probed by earlier processes (the CLI's doctor, the server's /health). */
  versionCache?: VersionCache;
  /** Caps on runs at once, with a bounded queue (config `concurrency`). */
  gate?: AdmissionGate;
  /** One circuit breaker per backend (the server uses them). */
  breakers?: BreakerRegistry;
  defaults?: RunDefaults;
  /** Per-backend settings: executable path, default model, modes, env. */
  backends?: Partial<Record<BackendName, BackendSettings>>;
  /** Environment the CLIs inherit (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Directory that relative workdirs are resolved against (default: the current one). */
  cwd?: string;
  hooks?: RunHooks;
  /** Longest line accepted from a CLI; a longer one becomes an `output_too_large` error event. */
  maxLineBytes?: number;
  /** Time between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** Judges every run before it spawns (the server's network policy). */
  guard?: RunGuard;
  /** Build each CLI's environment from an allowlist (see PrepareContext.envAllowlist), read per run. */
  envAllowlist?: () => readonly string[];
  /** A cap on every run's wall-clock limit in ms (see PrepareContext.maxTimeoutMs), read per run. */
  maxTimeoutMs?: () => number;
  /** Records every run (state, usage, recent events) and lets it be cancelled by id. */
  tracker?: RunTracker;
  /** Keeps live CLI processes between turns (the server, the SDK); without one each live turn has its own. */
  livePool?: LivePool;
  /** Every run goes to a worker instance instead (`serve --role api`). */
  dispatch?: RunDispatch;
}

/** How a face that serves untrusted callers restricts runs: see Engine.forNetwork. */
export interface NetworkRestrictions {
  guard: RunGuard;
  /** Variables passed to the CLIs besides the base ones and each backend's own. */
  envAllowlist: () => readonly string[];
  /** The longest a run may take, whatever it asks (0: no cap). */
  maxTimeoutMs: () => number;
}

export interface RunControl {
  /** Cancels the run: its CLI is killed. */
  signal?: AbortSignal;
  /**
   * Interrupts the run: a live run's turn stops and its conversation stays (the next prompt goes
   * on from it); a one-shot run is stopped like a cancel, and ends as `interrupted`.
   */
  interrupt?: AbortSignal;
  /** The id the tracker records the run under: a run another instance queued (run-workers.ts). */
  runId?: string;
}

/** Hands runs to other instances instead of running them here (run-queue.ts). */
export interface RunDispatch {
  /** Why a run cannot go to another machine (it needs this one while it runs), or undefined. */
  mustRunHere(request: RunRequest): string | undefined;
  dispatch(request: RunRequest, start: RunStart, control: RunControl): AsyncGenerator<RunEvent, RunResult, undefined>;
}

/** Told of every finished run (metrics, logs); must not throw. */
export type RunObserver = (result: RunResult, request: RunRequest) => void;

export class Engine {
  readonly registry: BackendRegistry;
  private readonly options: EngineOptions;
  private observers = new Set<RunObserver>();

  constructor(options: EngineOptions = {}) {
    this.options = options;
    this.registry =
      options.registry ??
      new BackendRegistry({
        binaries: Object.fromEntries(
          Object.entries(options.backends ?? {}).flatMap(([name, s]) => (s?.binary ? [[name, s.binary]] : [])),
        ),
        disabled: Object.entries(options.backends ?? {}).flatMap(([name, s]) =>
          s?.enabled === false ? [name as BackendName] : [],
        ),
        env: options.env,
        versionCache: options.versionCache,
        // The CLIs are looked up on the PATH they will run with.
        path: options.env?.PATH,
      });
  }

  /**
   * The same engine (registry, gate, breakers, hooks, observers) with every run judged by a guard
   * and given an environment built from an allowlist: what a face that serves untrusted callers
   * runs through, so that no route can forget the policy.
   */
  forNetwork(restrictions: NetworkRestrictions): Engine {
    const engine = new Engine({ ...this.options, registry: this.registry, ...restrictions });
    engine.observers = this.observers;
    return engine;
  }

  /** The same engine with every run recorded by `tracker` (the server's runs API). */
  withTracker(tracker: RunTracker): Engine {
    const engine = new Engine({ ...this.options, registry: this.registry, tracker });
    engine.observers = this.observers;
    return engine;
  }

  get tracker(): RunTracker | undefined {
    return this.options.tracker;
  }

  /** Follows finished runs; returns a function that stops following. */
  observe(observer: RunObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  admissionStats(): AdmissionStats | undefined {
    return this.options.gate?.stats();
  }

  breakerStates(): Partial<Record<BackendName, BreakerState>> {
    return Object.fromEntries((this.options.breakers?.all() ?? []).map((b) => [b.name, b.state]));
  }

  /** Idle and busy live processes per backend (empty without a pool). */
  liveStats(): ReturnType<LivePool["stats"]> {
    return this.options.livePool?.stats() ?? {};
  }

  /**
   * Starts `count` idle live processes of a backend for new sessions, with what a request with
   * these fields would be launched with (the defaults, in the default workdir): the first turn of
   * a matching session then costs no start either. Resolves to how many were started.
   */
  async prewarm(backend: BackendName, count: number, request: Partial<RunRequest> = {}): Promise<number> {
    const pool = this.options.livePool;
    if (!pool || count <= 0) return 0;
    const prepared = this.prepare({ ...request, backend, prompt: "(prewarm)", live: true });
    const live = prepared.live;
    if (!live)
      throw new ClinvkError("invalid_request", `${backend} cannot start ahead: ${prepared.warnings.join("; ")}`);
    const tooOld = tooOldForLive((await this.registry.status(backend)).version, live.protocol, backend);
    if (tooOld) throw new ClinvkError("invalid_request", `${backend} cannot start ahead: ${tooOld}`);
    let started = 0;
    for (; started < count; started++) {
      const cli = await this.openLive(prepared, live);
      pool.adopt(cli);
      pool.give(cli, live.key);
    }
    return started;
  }

  /** Ends every live process (a server's or an SDK client's shutdown). */
  async closeLive(): Promise<void> {
    await this.options.livePool?.close();
  }

  /** Validates the request and builds the command without running anything. */
  prepare(request: RunRequest, additions: EngineAdditions = {}): PreparedRun {
    if (request?.outputSchema !== undefined) compileSchema(request.outputSchema);
    return prepareRun(
      request,
      {
        registry: this.registry,
        settings: this.options.backends ?? {},
        defaults: this.options.defaults ?? {},
        baseEnv: this.options.env ?? process.env,
        cwd: this.options.cwd ?? process.cwd(),
        guard: this.options.guard,
        envAllowlist: this.options.envAllowlist?.(),
        maxTimeoutMs: this.options.maxTimeoutMs?.(),
        runsElsewhere: this.options.dispatch !== undefined,
      },
      additions,
    );
  }

  /** Runs to the end and returns the result. Invalid requests throw a ClinvkError. */
  async run(request: RunRequest, control: RunControl = {}): Promise<RunResult> {
    const events = this.stream(request, control);
    while (true) {
      const step = await events.next();
      if (step.done) return step.value;
    }
  }

  /**
   * Streams the run's events; the generator's return value is the result. Invalid requests throw
   * before anything is spawned. Breaking out of the loop or aborting the signal kills the CLI.
   */
  async *stream(request: RunRequest, control: RunControl = {}): AsyncGenerator<RunEvent, RunResult, undefined> {
    const prepared = this.prepare(request);
    const start: RunStart = {
      backend: prepared.backend.name,
      model: prepared.model,
      workdir: prepared.cwd,
      prompt: request.prompt,
    };
    // Judged here (the policy above) and again by the worker, in the directory it resolved here.
    const dispatch = this.options.dispatch;
    if (dispatch && !prepared.dryRun) {
      const here = dispatch.mustRunHere(request);
      if (!here) return yield* dispatch.dispatch({ ...request, workdir: prepared.cwd }, start, control);
      // What needs this machine runs on it, where its CLI is installed.
      if (!this.registry.locate(prepared.backend.name)) {
        throw new ClinvkError(
          "invalid_request",
          `${here} cannot be handed to a worker, and ${prepared.backend.name} is not installed on this server (role api)`,
          "install the CLI on the API instances too, or send it to a server with role all",
        );
      }
    }
    const tracker = this.options.tracker;
    if (!tracker) return yield* this.structured(request, control);
    const tracked = tracker.begin({ ...start, ...(control.runId ? { id: control.runId } : {}) });
    const signal = control.signal ? AbortSignal.any([control.signal, tracked.signal]) : tracked.signal;
    const interrupt = control.interrupt ? AbortSignal.any([control.interrupt, tracked.interrupt]) : tracked.interrupt;
    // The handler is told which tracked run asks (the server's approvals name it).
    const handler = request.onPermissionRequest;
    const asked: RunRequest = handler
      ? { ...request, onPermissionRequest: (question, context) => handler(question, { ...context, runId: tracked.id }) }
      : request;
    const events = this.structured(asked, { ...control, signal, interrupt });
    let result: RunResult | undefined;
    let failure: ErrorInfo | undefined;
    try {
      while (true) {
        const step = await events.next();
        if (step.done) {
          result = step.value;
          return result;
        }
        tracked.event(step.value);
        yield step.value;
      }
    } catch (error) {
      failure = toClinvkError(error).toInfo();
      throw error;
    } finally {
      await events.return(undefined as never);
      tracked.finish(result, failure);
    }
  }

  /** A run, or (for structured output) the runs of one request: an answer and at most one repair. */
  private async *structured(request: RunRequest, control: RunControl): AsyncGenerator<RunEvent, RunResult, undefined> {
    const schema = request.outputSchema;
    if (schema === undefined || request.dryRun) return yield* this.streamOne(request, control);
    const { capabilities } = this.prepare(request).backend;
    const native = await nativeSchema(capabilities.outputSchema, schema as JsonSchema);
    try {
      return yield* structuredRun({ ...request, outputSchema: schema }, (attempt) =>
        this.streamOne(attempt, control, native ? { outputSchema: native.arg } : {}),
      );
    } finally {
      await native?.remove();
    }
  }

  /** One run of the CLI (structured output may make two of one request). */
  private async *streamOne(
    request: RunRequest,
    control: RunControl,
    additions: EngineAdditions = {},
  ): AsyncGenerator<RunEvent, RunResult, undefined> {
    let prepared = this.prepare(request, additions);
    let sessionId = request.sessionId;
    let seq = 0;
    const stamp = (body: EventBody): RunEvent => {
      const event = {
        ...body,
        v: EVENT_SCHEMA_VERSION,
        seq: seq++,
        ts: new Date().toISOString(),
        backend: prepared.backend.name,
        ...(sessionId ? { session_id: sessionId } : {}),
      } as RunEvent;
      if (!request.includeRaw) delete event.raw;
      return event;
    };
    const startEvent = (live?: "warm" | "cold") =>
      stamp({
        type: "start",
        model: prepared.model,
        workdir: prepared.cwd,
        command: [prepared.command, ...prepared.args],
        resumed: prepared.resumed,
        warnings: prepared.warnings,
        ...(live ? { live } : {}),
      });

    if (prepared.dryRun) {
      yield startEvent();
      const result = finalResult(prepared.backend.name, sessionId, {
        status: "success",
        text: prepared.commandLine,
        usage: emptyUsage(),
        duration_ms: 0,
        exit_code: 0,
        dry_run: true,
      });
      yield stamp({ type: "result", ...result });
      return result;
    }

    // An open circuit refuses at once, before the run waits for a slot.
    const ticket = this.options.breakers?.get(prepared.backend.name).enter();
    let releaseSlot: (() => void) | undefined;
    let result: RunResult | undefined;
    let began = false;
    let bridge: ToolBridgeRun | undefined;
    let configDir: string | undefined;
    try {
      releaseSlot = yield* this.admit(prepared.backend.name, control.signal, stamp);
      if (request.clientTools) {
        // Opened once the run has its slot, and the command built again with its real address.
        // Imported here: the MCP SDK it serves with is loaded by runs that offer tools, no others.
        const { openToolBridge } = await import("./tool-bridge.js");
        bridge = await openToolBridge(offeredTools(request.clientTools), request.clientTools.handler);
        configDir = await mkdtemp(join(tmpdir(), "clinvk-tools-"));
        prepared = this.prepare(request, {
          ...additions,
          toolBridge: { url: bridge.url, token: bridge.token, configDir },
        });
        for (const file of prepared.files ?? []) await writeFile(file.path, file.content, { mode: 0o600 });
        if (prepared.overlay) await applyOverlay(prepared.overlay, configDir, prepared.env);
      }
      const hookResult = await this.options.hooks?.beforeRun?.(request, prepared);
      began = true;
      sessionId = hookResult?.sessionId ?? sessionId;
      let live = prepared.live;
      const switching = live?.protocol.capabilities.resume === "any";
      const warm = live && this.options.livePool?.take(live.key, live.conversation, switching);
      // A warm process passed these checks when it started.
      const oneShot =
        live && !warm
          ? live.conversation && live.protocol.capabilities.resume === "own"
            ? "" // Only the process that began this conversation may go on with it, and it is gone.
            : tooOldForLive(
                (await this.registry.status(prepared.backend.name)).version,
                live.protocol,
                prepared.backend.name,
              )
          : undefined;
      if (oneShot !== undefined) {
        prepared = this.prepare({ ...request, live: false }, additions);
        if (oneShot) prepared.warnings.push(oneShot);
        live = undefined;
      }
      yield startEvent(live ? (warm ? "warm" : "cold") : undefined);
      const turn = live
        ? this.liveTurn(request, prepared, live, warm || undefined, control, sessionId)
        : this.oneShot(prepared, control, sessionId, bridge);
      result = yield* this.execute(request, prepared, turn, stamp, sessionId);
      return result;
    } finally {
      bridge?.close();
      if (configDir) await rm(configDir, { recursive: true, force: true }).catch(() => undefined);
      releaseSlot?.();
      if (began && !result) await this.options.hooks?.afterAbandon?.(request, sessionId).catch(() => undefined);
      if (ticket) {
        if (result && !result.error) ticket.success();
        else if (result?.error && countsAsBackendFailure(result.error.code)) ticket.failure();
        else ticket.release();
      }
    }
  }

  /** Waits for a slot of the admission gate, reporting the queue position; returns the release. */
  private async *admit(
    backend: BackendName,
    signal: AbortSignal | undefined,
    stamp: (body: EventBody) => RunEvent,
  ): AsyncGenerator<RunEvent, () => void, undefined> {
    const gate = this.options.gate;
    if (!gate) return () => {};
    // Our own signal, so that a consumer who stops while the run waits takes its place out of the queue.
    const local = new AbortController();
    const onAbort = () => local.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted) local.abort();
    const positions: number[] = [];
    let wake: (() => void) | undefined;
    let settled = false;
    let admitted = false;
    const acquiring = gate.acquire(backend, {
      signal: local.signal,
      onQueued: (position) => {
        positions.push(position);
        wake?.();
      },
    });
    acquiring.then(
      () => {
        settled = true;
        wake?.();
      },
      () => {
        settled = true;
        wake?.();
      },
    );
    try {
      while (!settled || positions.length > 0) {
        // Only the latest position matters: a long queue moves often.
        const position = positions.at(-1);
        positions.length = 0;
        if (position !== undefined) {
          yield stamp({ type: "queued", position });
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (settled || positions.length > 0) resolve();
        });
      }
      const release = await acquiring;
      admitted = true;
      return release;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      if (!admitted) {
        local.abort();
        // Admitted just as the consumer left: give the slot back.
        acquiring.then(
          (release) => release(),
          () => {},
        );
      }
    }
  }

  /** One run of the CLI as its own process: its output lines turned into events, and how it ended. */
  private async *oneShot(
    prepared: PreparedRun,
    control: RunControl,
    sessionId: string | undefined,
    bridge?: ToolBridgeRun,
  ): AsyncGenerator<LiveItem, TurnEnd, undefined> {
    const parser = prepared.backend.createParser();
    const limits = {
      timeoutMs: prepared.timeoutMs,
      idleTimeoutMs: prepared.idleTimeoutMs,
      // A CLI that waits for a client tool's result is not idle.
      idlePaused: bridge && (() => bridge.waiting > 0),
      maxLineBytes: this.options.maxLineBytes,
      killGraceMs: this.options.killGraceMs,
    };
    // An interrupt of a one-shot run stops it like a cancel: the CLI has no way to be asked.
    const interrupted = control.interrupt;
    const signal =
      interrupted && control.signal ? AbortSignal.any([control.signal, interrupted]) : (control.signal ?? interrupted);
    const proc = runProcess(
      {
        command: prepared.command,
        args: prepared.args,
        cwd: prepared.cwd,
        env: prepared.env,
        stdin: prepared.stdin,
        ...(sessionId ? { tag: sessionId } : {}),
      },
      limits,
      signal,
    );
    let exit: ProcessExit;
    try {
      while (true) {
        const step = await proc.next();
        if (step.done) {
          exit = step.value;
          break;
        }
        const item = step.value;
        if (item.kind === "overflow") yield item;
        else for (const body of safeParse(() => parser.line(item.line), item.line)) yield { kind: "event", body };
      }
    } finally {
      // Runs when the consumer stops early too: the process generator then kills the CLI's group.
      await proc.return(undefined as never);
    }
    const outcome: ProcessOutcome = { exitCode: exit.exitCode, signal: exit.signal, stderr: exit.stderr };
    const parsed = parser.finish(outcome);
    const stopped =
      exit.reason === "aborted" && interrupted?.aborted && !control.signal?.aborted
        ? interruptedError(prepared)
        : undefined;
    return {
      parsed,
      endError: stopped ?? endError(exit, prepared, limits),
      durationMs: exit.durationMs,
      exitCode: exit.exitCode ?? -1,
    };
  }

  private openLive(prepared: PreparedRun, live: PreparedLive, tag?: string): Promise<LiveCli> {
    return LiveCli.open({
      backend: prepared.backend.name,
      protocol: live.protocol,
      launch: live.launch,
      invocation: live.invocation,
      command: prepared.command,
      env: prepared.env,
      ...(tag ? { tag } : {}),
      maxLineBytes: this.options.maxLineBytes,
      killGraceMs: this.options.killGraceMs,
    });
  }

  /** One turn on a long-lived process: a warm one from the pool, or one started for it. */
  private async *liveTurn(
    request: RunRequest,
    prepared: PreparedRun,
    live: PreparedLive,
    warm: LiveCli | undefined,
    control: RunControl,
    sessionId: string | undefined,
  ): AsyncGenerator<LiveItem, TurnEnd, undefined> {
    const pool = this.options.livePool;
    const started = performance.now();
    let cli = warm;
    if (!cli) {
      try {
        cli = await this.openLive(prepared, live, sessionId);
      } catch (error) {
        // The one-shot way still works where the long-lived one would not start.
        const info = toClinvkError(error).toInfo();
        yield {
          kind: "event",
          body: {
            type: "notice",
            level: "warn",
            message: `the live ${prepared.backend.name} process did not start (${info.message}); the run goes one-shot`,
          },
        };
        const oneShot = this.prepare({ ...request, live: false });
        return yield* this.oneShot(oneShot, control, sessionId);
      }
      pool?.adopt(cli);
    }
    const handler = request.onPermissionRequest;
    const context = { backend: prepared.backend.name, workdir: prepared.cwd, ...(sessionId ? { sessionId } : {}) };
    let outcome: LiveTurnOutcome | undefined;
    try {
      outcome = yield* cli.turn(live.turn, {
        signal: control.signal,
        interrupt: control.interrupt,
        ...(handler ? { onPermission: (asked, signal) => handler(asked, { ...context, signal }) } : {}),
        timeoutMs: prepared.timeoutMs,
        idleTimeoutMs: prepared.idleTimeoutMs,
      });
    } finally {
      if (pool) pool.give(cli, outcome && cli.alive ? live.keyFor(cli.conversationId) : undefined);
      else await cli.close();
    }
    const exit = outcome.exit;
    const endOf = outcome.reason
      ? endError({ reason: outcome.reason } as ProcessExit, prepared, prepared)
      : exit?.reason === "spawn_failed"
        ? endError(exit, prepared, prepared)
        : undefined;
    return {
      parsed: outcome.parsed,
      endError: endOf,
      durationMs: elapsed(started),
      exitCode: exit ? (exit.exitCode ?? -1) : 0,
    };
  }

  /** Turns a turn's items into events and its end into the result; the generator's value is the result. */
  private async *execute(
    request: RunRequest,
    prepared: PreparedRun,
    turn: AsyncGenerator<LiveItem, TurnEnd, undefined>,
    stamp: (body: EventBody) => RunEvent,
    sessionId: string | undefined,
  ): AsyncGenerator<RunEvent, RunResult, undefined> {
    let end: TurnEnd;
    let overflow: ErrorInfo | undefined;
    try {
      while (true) {
        const step = await turn.next();
        if (step.done) {
          end = step.value;
          break;
        }
        const item = step.value;
        if (item.kind === "overflow") {
          overflow = {
            code: "output_too_large",
            message: `${prepared.backend.name} printed a line of ${item.bytes} bytes, over the limit of ${this.options.maxLineBytes ?? "16 MiB"}; it was skipped`,
          };
          yield stamp({ type: "error", error: overflow });
          continue;
        }
        yield stamp(item.body);
      }
    } finally {
      await turn.return(undefined as never);
    }
    const parsed = end.parsed;
    for (const body of parsed.events) yield stamp(body);
    if (parsed.permissionDenials?.length)
      yield stamp(permissionNotice(prepared.backend.name, parsed.permissionDenials));
    // No answer after a skipped line: the skipped line was the answer, and that is the error to report.
    const missingAnswer = parsed.error?.code === "bad_output" ? overflow : undefined;
    const error = end.endError ?? missingAnswer ?? parsed.error;
    let result = finalResult(prepared.backend.name, sessionId, {
      status: error ? "error" : "success",
      text: parsed.text,
      backend_session_id: parsed.backendSessionId,
      model: parsed.model ?? prepared.model,
      usage: parsed.usage ?? emptyUsage(),
      duration_ms: end.durationMs,
      exit_code: end.exitCode,
      num_turns: parsed.numTurns,
      permission_denials: parsed.permissionDenials,
      error,
    });
    if (error) yield stamp({ type: "error", error });
    if (this.options.hooks?.afterRun) {
      try {
        await this.options.hooks.afterRun(request, result, prepared);
      } catch (hookError) {
        // The answer stands, but a caller must not believe the turn is in its session: a later
        // resume would continue without it.
        const cause = toClinvkError(hookError).toInfo();
        const unsaved: ErrorInfo = {
          code: "session_error",
          message: `the run finished, but its session ${sessionId?.slice(0, 8) ?? ""} could not record it: ${cause.message}`,
          hint: cause.hint ?? "the answer above is complete; resuming this session would not see this turn",
        };
        yield stamp({ type: "error", error: unsaved });
        result = { ...result, status: "error", error: result.error ?? unsaved };
      }
    }
    for (const observer of this.observers) {
      try {
        observer(result, request);
      } catch {
        // An observer's failure is not the run's.
      }
    }
    yield stamp({ type: "result", ...result });
    return result;
  }
}

function finalResult(
  backend: BackendName,
  sessionId: string | undefined,
  fields: Omit<RunResult, "backend" | "session_id">,
): RunResult {
  const result: RunResult = { backend, ...(sessionId ? { session_id: sessionId } : {}), ...fields };
  for (const key of Object.keys(result) as (keyof RunResult)[]) if (result[key] === undefined) delete result[key];
  return result;
}

/** Why clinvoker itself ended the run, which says more than whatever the killed CLI printed. */
function endError(
  exit: ProcessExit,
  prepared: PreparedRun,
  limits: { timeoutMs?: number; idleTimeoutMs?: number },
): ErrorInfo | undefined {
  const name = prepared.backend.name;
  switch (exit.reason) {
    case "timeout":
      return {
        code: "timeout",
        message: `${name} did not finish within ${seconds(limits.timeoutMs)}; it was stopped`,
        hint: "raise the timeout (--timeout) or split the task",
      };
    case "idle_timeout":
      return {
        code: "timeout",
        message: `${name} printed nothing for ${seconds(limits.idleTimeoutMs)}; it was stopped`,
        hint: "raise the idle timeout, or check that the CLI can reach its provider",
      };
    case "aborted":
      return { code: "cancelled", message: `the ${name} run was cancelled` };
    case "spawn_failed":
      return new ClinvkError(
        exit.spawnError?.code === "ENOENT" || exit.spawnError?.code === "EACCES" ? "backend_unavailable" : "internal",
        `could not start ${prepared.command}: ${exit.spawnError?.message ?? "unknown error"}`,
        `install it with: ${prepared.backend.installHint}`,
      ).toInfo();
    default:
      return undefined;
  }
}

function interruptedError(prepared: PreparedRun): ErrorInfo {
  return {
    code: "interrupted",
    message: `the ${prepared.backend.name} run was interrupted`,
    hint: "a one-shot run is stopped by an interrupt; the session keeps what the CLI saved",
  };
}

function elapsed(since: number): number {
  return Math.round(performance.now() - since);
}

/** How a turn ended, whatever ran it. */
interface TurnEnd {
  parsed: ParsedOutcome;
  /** Why clinvoker ended it, which says more than whatever the stopped CLI printed. */
  endError?: ErrorInfo;
  durationMs: number;
  exitCode: number;
}

function seconds(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(ms && ms % 1000 ? 1 : 0)} s`;
}

function safeParse(parse: () => EventBody[], line: string): EventBody[] {
  try {
    return parse();
  } catch {
    // A parser bug must never end a run: keep the line as it was.
    return [{ type: "raw", stream: "stdout", line }];
  }
}

export type { ResultEvent };
