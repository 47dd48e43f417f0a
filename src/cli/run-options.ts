/** The flags shared by every command that runs a prompt (`clinvk`, `clinvk resume`). */

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { Config } from "../config/schema.js";
import type { OutputFormat, RunRequest } from "../core/request.js";
import { usageError } from "./fail.js";
import { addGlobalOptions } from "./global-flags.js";
import {
  parseApprovalMode,
  parseCount,
  parseList,
  parseOutputFormat,
  parseSandboxMode,
  parseSeconds,
} from "./options.js";

export interface RunFlags {
  model?: string;
  outputFormat?: string;
  dryRun?: boolean;
  timeout?: string;
  idleTimeout?: string;
  approvalMode?: string;
  sandboxMode?: string;
  maxTurns?: string;
  systemPrompt?: string;
  allowedTools?: string;
  addDir?: string[];
  raw?: boolean;
  jsonSchema?: string;
  image?: string[];
  live?: boolean;
}

export function addRunOptions(command: Command): Command {
  return addGlobalOptions(command, { model: true, outputFormat: true, dryRun: true })
    .option("--timeout <seconds>", "stop the run after this many seconds")
    .option("--idle-timeout <seconds>", "stop the run when the CLI prints nothing for this long")
    .option("--approval-mode <mode>", "default, auto (accept edits), none (never ask: allow all), always")
    .option("--sandbox-mode <mode>", "default, read-only, workspace or full")
    .option("--max-turns <n>", "limit the agent's turns (claude)")
    .option("--system-prompt <text>", "replace the system prompt")
    .option("--allowed-tools <list>", "comma-separated tools the agent may use without asking")
    .option("--add-dir <dir...>", "further directories the agent may use")
    .option(
      "--image <file>",
      "an image (PNG, JPEG, GIF, WebP) to send with the prompt; repeat for more (claude, codex, gemini)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--json-schema <file|json>",
      "the answer must be JSON matching this JSON Schema (a file, or the schema itself): checked and repaired once, else the run fails (bad_output)",
    )
    .option(
      "--live",
      "drive the CLI as a long-lived process over its machine protocol: Ctrl+C interrupts the turn and keeps the session, tool calls that need approval are asked here, codex streams tokens (default: config live.enabled)",
    )
    .option("--no-live", "one process per turn, whatever the config says")
    .option("--raw", "with -o stream-json: attach each backend line to its event as `raw`");
}

export function outputFormatOf(flags: RunFlags, config: Config): OutputFormat {
  return parseOutputFormat(flags.outputFormat) ?? parseOutputFormat(config.output.format) ?? "json";
}

/** The request fields these flags set (undefined where a flag was not given). */
export function runFlagsToRequest(flags: RunFlags, format: OutputFormat): Omit<RunRequest, "backend" | "prompt"> {
  return {
    model: flags.model,
    approvalMode: parseApprovalMode(flags.approvalMode),
    sandboxMode: parseSandboxMode(flags.sandboxMode),
    outputFormat: format,
    maxTurns: parseCount("--max-turns", flags.maxTurns),
    systemPrompt: flags.systemPrompt,
    allowedTools: parseList(flags.allowedTools),
    allowedDirs: flags.addDir,
    dryRun: flags.dryRun,
    timeoutMs: parseSeconds("--timeout", flags.timeout),
    idleTimeoutMs: parseSeconds("--idle-timeout", flags.idleTimeout),
    includeRaw: flags.raw,
    outputSchema: parseJsonSchema(flags.jsonSchema),
    images: flags.image,
    live: flags.live,
  };
}

/** `--json-schema`: inline JSON (starting with `{`) or the path of a file holding it. */
function parseJsonSchema(value: string | undefined): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  const inline = value.trim().startsWith("{");
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, "utf8");
    } catch (error) {
      throw usageError(`cannot read --json-schema file ${value}: ${(error as Error).message}`);
    }
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    throw usageError(`--json-schema ${inline ? "" : `file ${value} `}is not valid JSON`, "give a JSON Schema object");
  }
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw usageError("--json-schema must be a JSON Schema object");
  }
  return schema as Record<string, unknown>;
}
