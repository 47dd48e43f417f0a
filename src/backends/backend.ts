/**
 * The contract every CLI backend implements. Backends are pure: options in, argv out; output lines
 * in, unified events out. They never spawn, read files or touch the environment, so each one is
 * tested against recorded output of the real CLI.
 */

import type { BackendName, EventBody } from "../core/events.js";
import type { FlagSpec } from "./extra-flags.js";
import type { Invocation, InvocationOptions, ParsedOutcome, ProcessOutcome } from "./invocation.js";
import type { LiveProtocol } from "./live-protocol.js";

export type {
  ClientToolServer,
  ConfigOverlay,
  ImageInput,
  Invocation,
  InvocationOptions,
  OutputSchemaArg,
  ParsedOutcome,
  ProcessOutcome,
} from "./invocation.js";

/** Stateful per run: one parser instance reads one run's output. */
export interface OutputParser {
  /** One complete line of the CLI's stdout (without the newline). Never throws. */
  line(line: string): EventBody[];
  /** Called once after the process ended. */
  finish(outcome: ProcessOutcome): ParsedOutcome;
}

/**
 * What a CLI can take, so that the engine applies a missing capability the same way for every face
 * instead of each face deciding (or a flag being dropped in one place and emulated in another).
 */
export interface BackendCapabilities {
  /** A system-prompt option; without it the engine puts the system prompt at the head of the prompt. */
  systemPrompt: boolean;
  /**
   * How the CLI takes images: `file` (a path on its command line or in its prompt), `inline` (the
   * bytes in its input, which the engine reads for it); absent: none.
   */
  images?: "file" | "inline";
  /**
   * How the CLI takes the answer's JSON Schema itself, besides the prompt (absent: the prompt only):
   * `via` a file it reads or the JSON on its command line, for the schemas its provider takes
   * (`strict`: an object closing its properties, OpenAI's strict mode; `object`: any object schema).
   */
  outputSchema?: { via: "file" | "argv"; takes: "strict" | "object" };
}

/** Which models a backend takes: for the compatible APIs' model names and /models. */
export interface BackendModels {
  /** Models the CLI is known to take, listed by /models. */
  known: readonly string[];
  /** Names that mean this backend when given bare (claude-*, gpt-*, gemini-*...). */
  families: readonly RegExp[];
  /** Who makes them (`owned_by` of /models). */
  vendor: string;
}

export interface Backend {
  readonly name: BackendName;
  readonly displayName: string;
  /** Executable looked up on PATH when no path is configured. */
  readonly binary: string;
  /** How to install the CLI, for `clinvk doctor` and errors. */
  readonly installHint: string;
  readonly versionArgs: readonly string[];
  /** Whether the CLI can resume a conversation into a new one (a fork), leaving the original as it was. */
  readonly canFork: boolean;
  /** Flags a caller may add through `extra` (everything else is refused). */
  readonly extraFlags: readonly FlagSpec[];
  /** Model aliases (`fast`, `balanced`, `best`) for this backend. */
  readonly modelAliases: Readonly<Record<string, string>>;
  readonly models: BackendModels;
  readonly capabilities: BackendCapabilities;
  /**
   * The CLI's own provider and config variables (names, or prefixes ending in `*`): what passes to
   * it when its environment is built from an allowlist (runs started by the server).
   */
  readonly environment: readonly string[];
  /** The long-lived mode (live-protocol.ts), where the CLI has one. */
  readonly live?: LiveProtocol;
  parseVersion(output: string): string | undefined;
  buildInvocation(options: InvocationOptions): Invocation;
  createParser(): OutputParser;
}
