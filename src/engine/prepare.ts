/**
 * Turns a RunRequest into exactly what will be spawned, or a clear `invalid_request` error before
 * anything runs. Every value that reaches a CLI's argv is checked here.
 */
import { accessSync, constants, statSync } from "node:fs";
import { resolve } from "node:path";
import { APPROVAL_MODES, type Backend, type InvocationOptions, SANDBOX_MODES } from "../backends/backend.js";
import { checkExtraFlags } from "../backends/extra-flags.js";
import { shellJoin, shellQuote } from "../process/shell-quote.js";
import type { RunDefaults } from "./engine.js";
import { ClinvkError } from "./errors.js";
import type { BackendName } from "./events.js";
import type { BackendRegistry } from "./registry.js";
import type { BackendSettings, RunRequest } from "./request.js";

/** Prompts above this size go through stdin: Linux limits one argv string to 128 KiB. */
const ARGV_PROMPT_LIMIT = 100_000;
const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@[\]+-]{0,199}$/;
const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

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
}

export interface PrepareContext {
  registry: BackendRegistry;
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

export function prepareRun(request: RunRequest, context: PrepareContext): PreparedRun {
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

  const cwd = directory("workdir", request.workdir ?? context.cwd, context.cwd);
  const options: InvocationOptions = {
    prompt: request.prompt,
    model: resolveModel(backend, request.model || settings.model),
    approvalMode:
      oneOf("approval mode", request.approvalMode || settings.approvalMode || defaults.approvalMode, APPROVAL_MODES) ??
      "default",
    sandboxMode:
      oneOf("sandbox mode", request.sandboxMode || settings.sandboxMode || defaults.sandboxMode, SANDBOX_MODES) ??
      "default",
    maxTurns: nonNegativeInteger("max turns", request.maxTurns ?? defaults.maxTurns) || undefined,
    systemPrompt: systemPrompt || undefined,
    allowedTools: request.allowedTools ?? settings.allowedTools ?? [],
    allowedDirs: (request.allowedDirs ?? []).map((dir) => directory("allowed dir", dir, cwd)),
    extraFlags: [
      ...checkExtraFlags(backend.name, request.extraFlags ?? [], backend.extraFlags),
      ...(settings.extraFlags ?? []),
    ],
    ephemeral: request.ephemeral === true,
    resume: resumeId,
    forkSession: request.resume?.fork === true,
    promptVia: Buffer.byteLength(request.prompt) > ARGV_PROMPT_LIMIT ? "stdin" : "argv",
  };
  for (const tool of options.allowedTools) {
    if (typeof tool !== "string" || tool.startsWith("-") || tool.includes("\0"))
      throw invalid(`invalid tool name "${tool}"`);
  }
  const timeoutMs = nonNegativeInteger("timeout", request.timeoutMs ?? defaults.timeoutMs) || undefined;
  const idleTimeoutMs =
    nonNegativeInteger("idle timeout", request.idleTimeoutMs ?? defaults.idleTimeoutMs) || undefined;
  const dryRun = request.dryRun ?? defaults.dryRun ?? false;

  const command = dryRun
    ? (context.registry.locate(backend.name) ?? backend.binary)
    : context.registry.require(backend.name);
  const invocation = backend.buildInvocation(options);
  const env = { ...context.baseEnv, ...settings.env, ...request.env };
  return {
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
    commandLine:
      invocation.stdin === undefined
        ? shellJoin([command, ...invocation.args])
        : `printf %s ${shellQuote(invocation.stdin)} | ${shellJoin([command, ...invocation.args])}`,
  };
}
