/**
 * Gemini CLI (`gemini`). Driven as `gemini --prompt=<text> -o stream-json`, which prints init,
 * message (assistant text as deltas), tool_use, tool_result and result events, one per line.
 */

import { dirname } from "node:path";
import type { EventBody, PermissionDenial, Usage } from "../core/events.js";
import type { Backend, Invocation, InvocationOptions, OutputParser, ParsedOutcome, ProcessOutcome } from "./backend.js";
import { int, obj, parseJsonObject, str } from "./classify.js";
import { flag, granting } from "./extra-flags.js";
import { geminiFailure } from "./gemini-errors.js";
import { geminiRunFlags } from "./gemini-flags.js";
import { geminiLive } from "./gemini-live.js";

export const gemini: Backend = {
  name: "gemini",
  displayName: "Gemini CLI",
  binary: "gemini",
  installHint: "npm install -g @google/gemini-cli",
  versionArgs: ["--version"],
  // `gemini --resume` continues the one chat file; it has no fork.
  canFork: false,
  modelAliases: {
    fast: "gemini-2.5-flash",
    quick: "gemini-2.5-flash",
    balanced: "gemini-2.5-pro",
    default: "gemini-2.5-pro",
    best: "gemini-2.5-pro",
    powerful: "gemini-2.5-pro",
  },
  models: {
    known: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
    families: [/^gemini-/i],
    vendor: "google",
  },
  capabilities: { systemPrompt: false, images: "file" },
  environment: ["GEMINI_*", "GOOGLE_*", "CLOUDSDK_*"],
  extraFlags: [
    flag(true, "--model", "-m"),
    granting("mode", true, "--approval-mode"),
    flag(false, "--sandbox", "-s"),
    granting("mode", false, "--yolo", "-y"),
    granting("directory", true, "--include-directories"),
    granting("tools", true, "--allowed-tools"),
    flag(true, "--allowed-mcp-server-names"),
    flag(true, "--extensions", "-e"),
  ],

  parseVersion(output) {
    return /(\d+\.\d+\.\d+[\w.-]*)/.exec(output)?.[1];
  },

  buildInvocation(options: InvocationOptions): Invocation {
    const args: string[] = [];
    if (options.resume) args.push(`--resume=${options.resume}`);
    args.push("--output-format=stream-json");
    const { warnings, overlay } = geminiRunFlags(options, args);
    // Images are `@file` references in the prompt, which gemini reads from its workspace: their
    // folders join it.
    const images = options.images ?? [];
    for (const dir of new Set(images.map((image) => dirname(image.path)))) args.push(`--include-directories=${dir}`);
    if (images.length)
      options = { ...options, prompt: `${options.prompt}\n\n${images.map((i) => `@${i.path}`).join(" ")}` };
    args.push(...options.extraFlags);
    // Without --prompt, gemini reads the prompt from stdin. The `=` form keeps a prompt that
    // begins with "-" from being read as a flag (`-p -- text` does not work with gemini).
    if (options.promptVia === "stdin") return { args, stdin: options.prompt, warnings, overlay };
    args.push(`--prompt=${options.prompt}`);
    return { args, warnings, overlay };
  },

  live: geminiLive,

  createParser: () => new GeminiParser(),
};

function geminiUsage(stats: Record<string, unknown>): Usage {
  const input = int(stats.input_tokens);
  return {
    input_tokens: input,
    output_tokens: int(stats.output_tokens),
    cached_tokens: int(stats.cached),
    reasoning_tokens: int(stats.thoughts ?? stats.thoughts_tokens),
  };
}

/** The model that did the work: the one with the most tokens (the router's call is small). */
function mainModel(stats: Record<string, unknown>): string | undefined {
  const models = obj(stats.models);
  if (!models) return undefined;
  let best: string | undefined;
  let bestTokens = -1;
  for (const [name, value] of Object.entries(models)) {
    const tokens = int(obj(value)?.total_tokens);
    if (tokens > bestTokens) {
      best = name;
      bestTokens = tokens;
    }
  }
  return best;
}

/**
 * gemini's tools that need approval. Under the default approval mode its non-interactive runs leave
 * them out of the registry, so a call to one fails as `tool_not_registered`: that is its denial.
 */
const NEEDS_APPROVAL = new Set(["write_file", "replace", "run_shell_command"]);

class GeminiParser implements OutputParser {
  private sessionId: string | undefined;
  private model: string | undefined;
  private text = "";
  private result: Record<string, unknown> | undefined;
  private readonly toolNames = new Map<string, string>();
  private readonly toolInputs = new Map<string, unknown>();
  private readonly denials: PermissionDenial[] = [];

  line(line: string): EventBody[] {
    const event = parseJsonObject(line);
    if (!event) return line.trim() ? [{ type: "raw", stream: "stdout", line }] : [];
    const raw = event;
    switch (event.type) {
      case "init": {
        this.sessionId = str(event.session_id) ?? this.sessionId;
        const model = str(event.model);
        if (model && model !== "auto") this.model = model;
        return [{ type: "init", backend_session_id: this.sessionId, model: this.model, raw }];
      }
      case "message": {
        if (event.role !== "assistant") return [];
        const text = str(event.content) ?? "";
        if (!text) return [];
        this.text += text;
        return [{ type: "text", text, raw }];
      }
      case "tool_use": {
        // The answer is what the agent says after its last tool call, as for the other CLIs.
        this.text = "";
        const id = str(event.tool_id) ?? "";
        const name = str(event.tool_name) ?? "unknown";
        this.toolNames.set(id, name);
        this.toolInputs.set(id, event.parameters);
        return [{ type: "tool_call", id, name, input: event.parameters ?? {}, raw }];
      }
      case "tool_result": {
        const id = str(event.tool_id) ?? "";
        const error = obj(event.error);
        const name = this.toolNames.get(id);
        if (error?.type === "tool_not_registered" && name && NEEDS_APPROVAL.has(name)) {
          this.denials.push({ tool: name, input: this.toolInputs.get(id) });
        }
        return [
          {
            type: "tool_result",
            id,
            name: this.toolNames.get(id),
            output: str(event.output) ?? str(error?.message),
            is_error: event.status === "error" || error !== undefined,
            raw,
          },
        ];
      }
      case "error": {
        const message = str(event.message) ?? "gemini reported an error";
        return [{ type: "notice", level: "warn", message, raw }];
      }
      case "result": {
        this.result = event;
        const stats = obj(event.stats) ?? {};
        this.model = mainModel(stats) ?? this.model;
        return [{ type: "usage", usage: geminiUsage(stats), raw }];
      }
      default:
        return [{ type: "raw", stream: "stdout", line, raw }];
    }
  }

  finish(outcome: ProcessOutcome): ParsedOutcome {
    const base = {
      text: this.text,
      backendSessionId: this.sessionId,
      model: this.model,
      usage: this.result ? geminiUsage(obj(this.result.stats) ?? {}) : undefined,
      permissionDenials: this.denials.length ? this.denials : undefined,
      events: [],
    };
    if (this.result && this.result.status !== "error" && outcome.exitCode === 0) return base;
    return { ...base, text: "", error: geminiFailure(this.result, outcome) };
  }
}
