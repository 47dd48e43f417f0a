/**
 * What each tool does: its arguments into the engine's requests or a workflow call (through the
 * face's policy), its events into progress, its outcome into a tool result. No logic of its own:
 * runs, workflows and sessions are the engine's, the workflows' and the store's.
 */

import type { RunRequest } from "../core/request.js";
import type { Engine } from "../engine/engine.js";
import { sessionRequest } from "../engine/session-requests.js";
import type { SessionStore } from "../sessions/store.js";
import { runChain } from "../workflows/chain.js";
import { runCompare, selectBackends } from "../workflows/compare.js";
import { drainWorkflow } from "../workflows/events.js";
import { runParallel } from "../workflows/parallel.js";
import type { McpPolicy } from "./policy.js";
import type { ProgressReporter } from "./progress.js";
import {
  chainResult,
  compareResult,
  parallelResult,
  runResult,
  sessionResult,
  sessionsResult,
  type ToolResult,
} from "./results.js";
import type {
  ChainArgs,
  CompareArgs,
  ParallelArgs,
  RunArgs,
  SessionShowArgs,
  SessionsListArgs,
  ToolName,
} from "./tools.js";

export interface McpDeps {
  engine: Engine;
  store: SessionStore;
  policy: McpPolicy;
}

export interface Call {
  /** Aborted when the client cancels the call or goes away: the CLIs are then killed. */
  signal: AbortSignal;
  /** A reporter of progress (for a workflow: of its `tasks`), when the client asked for progress. */
  progress(tasks?: number): ProgressReporter | undefined;
}

type Handler<A> = (deps: McpDeps, args: A, call: Call) => Promise<ToolResult>;

/** The request for a `run` call: a new run, or the next turn of a session (in its own directory, checked). */
export async function runCallRequest(deps: McpDeps, args: RunArgs): Promise<RunRequest> {
  const { session_id, ...rest } = args;
  const request = deps.policy.runRequest(rest);
  if (!session_id) return request;
  const session = await deps.store.getByPrefix(session_id);
  const next = sessionRequest(session, { ...request, workdir: undefined });
  return { ...next, workdir: deps.policy.workdir(next.workdir) };
}

const run: Handler<RunArgs> = async (deps, args, call) => {
  const events = deps.engine.stream(await runCallRequest(deps, args), { signal: call.signal });
  const progress = call.progress();
  while (true) {
    const step = await events.next();
    if (step.done) return runResult(step.value);
    progress?.run(step.value);
  }
};

const parallel: Handler<ParallelArgs> = async (deps, args, call) => {
  const config = deps.policy.config();
  const tasks = args.tasks.map((task) => deps.policy.task(task));
  const workflow = runParallel(deps.engine, tasks, {
    maxParallel: args.max_parallel || config.parallel.max_workers,
    failFast: args.fail_fast,
    defaultBackend: config.default_backend,
    signal: call.signal,
  });
  const progress = call.progress(tasks.length);
  return parallelResult(await drainWorkflow(workflow, (event) => progress?.workflow(event)));
};

const chain: Handler<ChainArgs> = async (deps, args, call) => {
  const steps = args.steps.map((step) => deps.policy.task(step));
  const workflow = runChain(
    deps.engine,
    { ...args, steps },
    { signal: call.signal, defaultBackend: deps.policy.config().default_backend },
  );
  const progress = call.progress(steps.length);
  return chainResult(await drainWorkflow(workflow, (event) => progress?.workflow(event)));
};

const compare: Handler<CompareArgs> = async (deps, args, call) => {
  const backends = selectBackends(deps.engine.registry, { all: !args.backends, names: args.backends });
  const workflow = runCompare(deps.engine, {
    prompt: args.prompt,
    backends,
    model: args.model,
    workdir: deps.policy.workdir(args.workdir),
    sequential: args.sequential,
    signal: call.signal,
  });
  const progress = call.progress(backends.length);
  return compareResult(await drainWorkflow(workflow, (event) => progress?.workflow(event)));
};

const DEFAULT_LIMIT = 20;

const sessionsList: Handler<SessionsListArgs> = async (deps, args) => {
  const { limit = DEFAULT_LIMIT, offset = 0, ...filter } = args;
  return sessionsResult(await deps.store.list({ ...filter, limit, offset }), offset);
};

const sessionShow: Handler<SessionShowArgs> = async (deps, args) =>
  sessionResult(await deps.store.getByPrefix(args.session_id));

export const HANDLERS: { [N in ToolName]: Handler<never> } = {
  run,
  parallel,
  chain,
  compare,
  sessions_list: sessionsList,
  session_show: sessionShow,
};
