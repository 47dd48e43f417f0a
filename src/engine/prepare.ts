/**
 * Turns a RunRequest into exactly what will be spawned, or a clear `invalid_request` error before
 * anything runs. Every value that reaches a CLI's argv is checked here.
 */
import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Backend, ConfigOverlay, ImageInput, InvocationOptions, OutputSchemaArg } from "../backends/backend.js";
import { checkExtraFlags } from "../backends/extra-flags.js";
import { SECRET_VARIABLES } from "../config/secrets.js";
import { ClinvkError } from "../core/errors.js";
import type { BackendName } from "../core/events.js";
import { APPROVAL_MODES, type ApprovalMode, SANDBOX_MODES, type SandboxMode } from "../core/modes.js";
import type { BackendSettings, RunRequest } from "../core/request.js";
import { CLIENT_TOOL_SERVER } from "../core/tools.js";
import { allowedEnv, BASE_CHILD_ENV } from "../process/child-env.js";
import { shellJoin, shellQuote } from "../process/shell-quote.js";
import { checkClientTools, offeredTools, toolChoiceInstruction } from "./client-tools.js";
import { checkImages } from "./images.js";
import { chooseLive, type LiveChoice, type PreparedLive, preparedLive } from "./live-choice.js";
import type { BackendRegistry } from "./registry.js";
import { PLACEHOLDER_BRIDGE } from "./tool-bridge-placeholder.js";

/** Prompts above this size go through stdin: Linux limits one argv string to 128 KiB. */
const ARGV_PROMPT_LIMIT = 100_000;
const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@[\]+-]{0,199}$/;
const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Defaults for every run (from `unified_flags`); a request's own values and backend settings win. */
export interface RunDefaults {
  approvalMode?: ApprovalMode;
  sandboxMode?: SandboxMode;
  maxTurns?: number;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  dryRun?: boolean;
  /** Runs are live where the backend can be (config `live.enabled`). */
  live?: boolean;
}

export interface PreparedRun {
  backend: Backend;
  /** The executable that will run (absolute), or the bare name in a dry run without the CLI. */
  command: string;
  args: string[];
  stdin?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  model?: string;
  warnings: string[];
  resumed: boolean;
  dryRun: boolean;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  /** The command as a POSIX shell line that can be pasted. */
  commandLine: string;
  /** Files to write (owner-only) before the CLI starts. */
  files?: { path: string; content: string }[];
  /** A private config folder to make before the CLI starts. */
  overlay?: ConfigOverlay;
  /** Set when the run goes to a long-lived process (see live-run.ts); `args` are then its launch's. */
  live?: PreparedLive;
}

/**
 * A policy that judges a run once it is resolved (its directory known, whatever named it) and
 * before anything spawns: the server's network policy. Returns the directory to run in (it may
 * canonicalize it) or throws a ClinvkError.
 */
export type RunGuard = (
  request: RunRequest,
  resolved: { backend: Backend; cwd: string; allowedDirs: string[] },
) => string;

export interface PrepareContext {
  registry: BackendRegistry;
  guard?: RunGuard;
  /**
   * When set, the CLI's environment is built from an allowlist: the base variables every CLI
   * needs, the backend's own, and these; otherwise it inherits baseEnv. Secrets never pass.
   */
  envAllowlist?: readonly string[];
  /** A cap on every run's wall-clock limit (the server's request_timeout_secs); 0 or absent: none. */
  maxTimeoutMs?: number;
  /** The CLI runs on another machine (a worker): it need not be installed here, only enabled. */
  runsElsewhere?: boolean;
  settings: Partial<Record<BackendName, BackendSettings>>;
  defaults: RunDefaults;
  baseEnv: NodeJS.ProcessEnv;
  cwd: string;
}

const invalid = (message: string, hint?: string) => new ClinvkError("invalid_request", message, hint);

function oneOf<T extends string>(what: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === "") return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(`invalid ${what} "${value}"`, `use one of: ${allowed.join(", ")}`);
  }
  return value as T;
}

function nonNegativeInteger(what: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 0) throw invalid(`invalid ${what} ${value}: must be a whole number ≥ 0`);
  return value;
}

function directory(what: string, path: string, cwd: string): string {
  if (path.includes("\0")) throw invalid(`invalid ${what}: contains a NUL character`);
  const absolute = resolve(cwd, path);
  try {
    if (!statSync(absolute).isDirectory()) throw invalid(`${what} ${absolute} is not a directory`);
    accessSync(absolute, constants.R_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof ClinvkError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw invalid(
      code === "ENOENT" ? `${what} ${absolute} does not exist` : `${what} ${absolute} cannot be read (${code})`,
      "give an existing directory you can read",
    );
  }
  return absolute;
}

/** The instructions at the head of a prompt, for a CLI that takes no system prompt. */
export function promptWithSystem(prompt: string, system: string): string {
  return `<system>\n${system}\n</system>\n\n${prompt}`;
}

export function resolveModel(backend: Backend, model: string | undefined): string | undefined {
  if (!model) return undefined;
  const resolved = backend.modelAliases[model.toLowerCase()] ?? model;
  if (!MODEL_PATTERN.test(resolved)) {
    throw invalid(
      `invalid model name "${model}"`,
      "model names use letters, digits and . _ - : / @; aliases: fast, balanced, best",
    );
  }
  return resolved;
}

/** What the engine itself adds to a run, never a caller. */
export interface EngineAdditions {
  /** The output schema in the form the CLI takes it natively (engine/structured-output.ts). */
  outputSchema?: OutputSchemaArg;
  /** The run's client-tool server once it is open, and its config directory (placeholders until then). */
  toolBridge?: { url: string; token: string; configDir: string };
}

export function prepareRun(request: RunRequest, context: PrepareContext, additions: EngineAdditions = {}): PreparedRun {
  if (request === null || typeof request !== "object") throw invalid("a run request must be an object");
  const backend = context.registry.get(String(request.backend ?? ""));
  const settings = context.settings[backend.name] ?? {};
  const defaults = context.defaults;

  if (typeof request.prompt !== "string" || request.prompt.trim() === "") {
    throw invalid("the prompt is empty", 'give a prompt as an argument or on stdin: clinvk "explain this repo"');
  }
  if (request.prompt.includes("\0")) throw invalid("the prompt contains a NUL character");

  const resumeId = request.resume?.backendSessionId;
  if (resumeId !== undefined && !SESSION_ID_PATTERN.test(resumeId)) {
    throw invalid(`invalid backend session id "${resumeId}"`);
  }
  if (request.resume?.fork && !backend.canFork) {
    throw new ClinvkError(
      "invalid_request",
      `${backend.name} cannot fork a conversation: its resume always continues the one conversation`,
      "only claude sessions fork; resume the original, or start a new session",
    );
  }
  const systemPrompt = request.systemPrompt ?? settings.systemPrompt;
  if (systemPrompt?.includes("\0")) throw invalid("the system prompt contains a NUL character");

  const extraFlags = checkExtraFlags(backend.name, request.extraFlags ?? [], backend.extraFlags);
  // The guard judges the paths before they are touched, and may canonicalize the workdir.
  let cwd = resolve(context.cwd, request.workdir ?? context.cwd);
  if (context.guard) {
    const allowedDirs = (request.allowedDirs ?? []).map((dir) => resolve(cwd, dir));
    cwd = context.guard(request, { backend, cwd, allowedDirs });
  }
  cwd = directory("workdir", cwd, context.cwd);
  const allowedDirs = (request.allowedDirs ?? []).map((dir) => directory("allowed dir", dir, cwd));
  const clientTools = request.clientTools && checkClientTools(request.clientTools);
  // A forced tool choice is said with the prompt it applies to (a system prompt would replace a CLI's own).
  const choice = clientTools && toolChoiceInstruction(clientTools);
  const asked = choice ? `${request.prompt}\n\n${choice}` : request.prompt;
  // A CLI without a system-prompt option gets the instructions at the head of the prompt, on every face.
  const inline = Boolean(systemPrompt) && !backend.capabilities.systemPrompt;
  const prompt = inline ? promptWithSystem(asked, systemPrompt as string) : asked;
  const options: InvocationOptions = {
    prompt,
    model: resolveModel(backend, request.model || settings.model),
    approvalMode:
      oneOf("approval mode", request.approvalMode || settings.approvalMode || defaults.approvalMode, APPROVAL_MODES) ??
      "default",
    sandboxMode:
      oneOf("sandbox mode", request.sandboxMode || settings.sandboxMode || defaults.sandboxMode, SANDBOX_MODES) ??
      "default",
    maxTurns: nonNegativeInteger("max turns", request.maxTurns ?? defaults.maxTurns) || undefined,
    systemPrompt: (!inline && systemPrompt) || undefined,
    allowedTools: request.allowedTools ?? settings.allowedTools ?? [],
    allowedDirs,
    extraFlags: [...extraFlags, ...(settings.extraFlags ?? [])],
    ephemeral: request.ephemeral === true,
    resume: resumeId,
    forkSession: request.resume?.fork === true,
    promptVia: Buffer.byteLength(prompt) > ARGV_PROMPT_LIMIT ? "stdin" : "argv",
    ...(clientTools
      ? {
          clientTools: {
            name: CLIENT_TOOL_SERVER,
            ...(additions.toolBridge ?? PLACEHOLDER_BRIDGE),
            tools: offeredTools(clientTools).map((tool) => tool.name),
            keepBuiltins: clientTools.keepBuiltinTools === true,
          },
        }
      : {}),
    ...(additions.outputSchema ? { outputSchema: additions.outputSchema } : {}),
  };
  const images = checkImages(request.images, backend, cwd);
  if (images) options.images = images;
  for (const tool of options.allowedTools) {
    if (typeof tool !== "string" || tool.startsWith("-") || tool.includes("\0"))
      throw invalid(`invalid tool name "${tool}"`);
  }
  const askedTimeout = nonNegativeInteger("timeout", request.timeoutMs ?? defaults.timeoutMs) || undefined;
  const cap = context.maxTimeoutMs || undefined;
  const timeoutMs = askedTimeout && cap ? Math.min(askedTimeout, cap) : (askedTimeout ?? cap);
  const idleTimeoutMs =
    nonNegativeInteger("idle timeout", request.idleTimeoutMs ?? defaults.idleTimeoutMs) || undefined;
  const dryRun = request.dryRun ?? defaults.dryRun ?? false;

  const liveChoice = liveRun(request, settings, defaults, backend, options, cwd, images);
  const live = typeof liveChoice === "object" ? liveChoice : undefined;
  if (context.runsElsewhere) context.registry.requireEnabled(backend.name);
  const command =
    dryRun || context.runsElsewhere
      ? (context.registry.locate(backend.name) ?? backend.binary)
      : context.registry.require(backend.name);
  const invocation = live?.invocation ?? backend.buildInvocation(options);
  if (typeof liveChoice === "string" && request.live === true) invocation.warnings.push(`not live: ${liveChoice}`);
  if (inline)
    invocation.warnings.push(`${backend.name} has no system-prompt option; the system prompt heads the prompt`);
  const base = context.envAllowlist
    ? allowedEnv(context.baseEnv, [...BASE_CHILD_ENV, ...backend.environment, ...context.envAllowlist])
    : context.baseEnv;
  const env = { ...base, ...settings.env, ...request.env, ...invocation.env };
  for (const name of SECRET_VARIABLES) delete env[name];
  return {
    ...(live ? { live: preparedLive(live, { backend: backend.name, command, cwd, env }) } : {}),
    backend,
    command,
    args: invocation.args,
    stdin: invocation.stdin,
    cwd,
    env,
    model: options.model,
    warnings: invocation.warnings,
    resumed: resumeId !== undefined,
    dryRun,
    timeoutMs,
    idleTimeoutMs,
    files: invocation.files,
    overlay: invocation.overlay,
    commandLine:
      invocation.stdin === undefined
        ? shellJoin([command, ...invocation.args])
        : `printf %s ${shellQuote(invocation.stdin)} | ${shellJoin([command, ...invocation.args])}`,
  };
}

/** Whether this run goes live, and with what: see live-choice.ts. */
function liveRun(
  request: RunRequest,
  settings: BackendSettings,
  defaults: RunDefaults,
  backend: Backend,
  options: InvocationOptions,
  cwd: string,
  images: ImageInput[] | undefined,
): LiveChoice | string | undefined {
  const wanted = request.live ?? settings.live ?? defaults.live ?? false;
  return wanted ? chooseLive(backend, options, cwd, images) : undefined;
}
