/**
 * What a backend builds and reads in every mode (one-shot, backend.ts; live, live-protocol.ts):
 * the options of an invocation, the command it becomes, and what its output meant.
 */

import type { ErrorInfo } from "../core/errors.js";
import type { EventBody, PermissionDenial, Usage } from "../core/events.js";
import type { ApprovalMode, SandboxMode } from "../core/modes.js";

/** Everything a backend needs to build its command line; already validated and defaulted. */
export interface InvocationOptions {
  prompt: string;
  /** Already resolved from aliases. */
  model?: string;
  approvalMode: ApprovalMode;
  sandboxMode: SandboxMode;
  maxTurns?: number;
  systemPrompt?: string;
  allowedTools: string[];
  allowedDirs: string[];
  /** Already checked against the backend's allowlist. */
  extraFlags: string[];
  ephemeral: boolean;
  /** The backend's own session id to resume. */
  resume?: string;
  /** Resume into a new conversation of the CLI, leaving the resumed one as it was (only where `canFork`). */
  forkSession?: boolean;
  /** Large prompts go through stdin: argv has a per-argument size limit. */
  promptVia: "argv" | "stdin";
  /** The caller's own tools, served to the CLI by a per-run MCP server (see core/tools.ts). */
  clientTools?: ClientToolServer;
  /** The JSON Schema the answer must match, in the form the CLI takes it (capabilities.outputSchema). */
  outputSchema?: OutputSchemaArg;
  /** Images with the prompt, checked by the engine; `base64` only for a backend whose capability is `inline`. */
  images?: ImageInput[];
}

/** A file holding the schema (written by the engine, removed after the run), or its JSON for argv. */
export type OutputSchemaArg = { via: "file"; path: string } | { via: "argv"; json: string };

/** Where a run's client tools are served, and how the CLI is to use them. */
export interface ClientToolServer {
  /** The MCP server's name in the CLI's configuration. */
  name: string;
  /** Its Streamable HTTP endpoint (loopback, with the run's secret in the path). */
  url: string;
  /** The tools it offers. */
  tools: string[];
  /** Keep the CLI's built-in tools as well as these. */
  keepBuiltins: boolean;
  /** The bearer token the server wants: for owner-only files and the CLI's environment, never argv. */
  token: string;
  /** A private directory of this run for the CLI's configuration files (Invocation.files). */
  configDir: string;
}

export interface ImageInput {
  path: string;
  mediaType: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  base64?: string;
}

export interface Invocation {
  args: string[];
  /** Written to the CLI's stdin, which is then closed. Without it stdin is closed at once. */
  stdin?: string;
  /** Options this backend cannot honour, said to the user rather than dropped silently. */
  warnings: string[];
  /** Files the CLI reads, written (owner-only) before it starts: absolute paths in clientTools.configDir. */
  files?: { path: string; content: string }[];
  /** Environment this invocation needs besides the run's. */
  env?: Record<string, string>;
  /** A private copy of the CLI's config folder for this run, made in clientTools.configDir. */
  overlay?: ConfigOverlay;
}

/**
 * A CLI's config folder as one run sees it: every entry of the user's linked (credentials, session
 * files: what the CLI writes still lands in the user's folder), its settings file merged with these.
 */
export interface ConfigOverlay {
  /** The variable that moves the CLI's home (its config folder is then found inside it). */
  homeVariable: string;
  /** The config folder inside the home (`.gemini`). */
  folder: string;
  /** The JSON settings file in it, merged over the user's one key deep. */
  settingsFile: string;
  settings: Record<string, unknown>;
  /** Folders of the user's made first, so that the CLI's state goes through their links. */
  ensure: string[];
}

/** What the parser knows when the CLI has exited. */
export interface ProcessOutcome {
  exitCode: number | null;
  signal: string | null;
  /** The tail of stderr (bounded). */
  stderr: string;
}

export interface ParsedOutcome {
  text: string;
  backendSessionId?: string;
  model?: string;
  usage?: Usage;
  numTurns?: number;
  /** Tool calls the CLI refused without asking, under the approval mode it ran with. */
  permissionDenials?: PermissionDenial[];
  error?: ErrorInfo;
  /** Events to emit before the result (e.g. an error found only in stderr). */
  events: EventBody[];
}
