/**
 * Claude Code's long-lived mode: `claude -p --input-format stream-json --output-format stream-json`
 * keeps reading user messages from stdin, one turn each, and speaks the control protocol on the
 * same streams (control_request / control_response both ways): `initialize` is the handshake,
 * `interrupt` stops a turn, and with `--permission-prompt-tool stdio` the CLI asks `can_use_tool`
 * before a tool runs. Each turn ends with one `result` line. Facts recorded against the real CLI:
 * test/fixtures/cli-output/claude-live/README.md.
 */

import type { EventBody } from "../core/events.js";
import type { PermissionDecision, PermissionRequest } from "../core/permissions.js";
import type { Invocation, ParsedOutcome, ProcessOutcome } from "./backend.js";
import { num, obj, parseJsonObject, str } from "./classify.js";
import { claudeOptionArgs, claudeResumeArgs, claudeUserMessage } from "./claude-args.js";
import { ClaudeParser } from "./claude-output.js";
import type { LiveCodec, LiveLaunchOptions, LiveProtocol, LiveStep, LiveTurnInput } from "./live-protocol.js";
import { failureWithoutResult } from "./outcome.js";

/** Request ids and session ids as claude makes them (UUIDs), and as this codec makes them. */
const PROTOCOL_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Permission requests waiting for the host: claude asks one tool at a time, so a handful at most. */
const MAX_PENDING = 64;

export const claudeLive: LiveProtocol = {
  capabilities: { interrupt: true, permissions: true, resume: "launch", streaming: true },
  minVersion: "2.1.197",

  launch(options: LiveLaunchOptions): Invocation {
    const { args: optionArgs, warnings, files, env } = claudeOptionArgs(options);
    const args = [
      ...claudeResumeArgs(options),
      "-p",
      "--input-format=stream-json",
      "--output-format=stream-json",
      "--verbose",
      "--include-partial-messages",
      ...optionArgs,
    ];
    // Without it, a tool the permission mode does not allow is refused at once, as in a -p run.
    if (options.askPermissions) args.push("--permission-prompt-tool=stdio");
    return { args, warnings, files, env };
  },

  connect(options: LiveLaunchOptions): LiveCodec {
    return new ClaudeLiveCodec(options);
  },
};

type Json = Record<string, unknown>;

class ClaudeLiveCodec implements LiveCodec {
  private sequence = 0;
  private initializeId: string | undefined;
  private ready = false;
  private session: string | undefined;
  /** The running turn's reader; undefined between turns. */
  private parser: ClaudeParser | undefined;
  private interrupting = false;
  /** Permission requests waiting for the host: what the agent asked the tool to do, by request id. */
  private readonly pending = new Map<string, unknown>();
  /** Tool calls of this turn the host was asked about (by tool_use id). */
  private asked = new Set<string>();
  /** claude reports the process's cost so far in each result: a turn's cost is the difference. */
  private costSoFar = 0;

  constructor(options: LiveLaunchOptions) {
    // A fork gets a new id, told in the first turn's init.
    if (options.resume && !options.forkSession && PROTOCOL_ID.test(options.resume)) this.session = options.resume;
  }

  get conversationId(): string | undefined {
    return this.session;
  }

  start(): string[] {
    this.initializeId = this.nextId("initialize");
    return [line({ type: "control_request", request_id: this.initializeId, request: { subtype: "initialize" } })];
  }

  turn(input: LiveTurnInput): string[] {
    this.asked = new Set();
    this.parser = new ClaudeParser(this.asked);
    this.interrupting = false;
    return [line(claudeUserMessage(input.prompt, input.images))];
  }

  interrupt(): string[] {
    if (!this.parser || this.interrupting) return [];
    this.interrupting = true;
    return [line({ type: "control_request", request_id: this.nextId("interrupt"), request: { subtype: "interrupt" } })];
  }

  decide(id: string, decision: PermissionDecision): string[] {
    if (!this.pending.has(id)) return [];
    const asked = this.pending.get(id);
    this.pending.delete(id);
    return [answer(id, decision, asked)];
  }

  line(text: string): LiveStep {
    const message = parseJsonObject(text);
    if (!message) return this.parsed(text);
    switch (message.type) {
      case "control_response":
        return this.controlResponse(obj(message.response) ?? {});
      case "control_request":
        return this.controlRequest(message);
      case "control_cancel_request":
        this.pending.delete(str(message.request_id) ?? "");
        return step();
      case "keep_alive":
        return step();
      case "system":
        if (message.subtype === "init") this.noteSession(message.session_id);
        return this.parsed(text);
      case "result":
        return this.result(text, message);
      default:
        return this.parsed(text);
    }
  }

  exited(outcome: ProcessOutcome): ParsedOutcome {
    const parser = this.parser;
    this.parser = undefined;
    this.pending.clear();
    if (parser) {
      const parsed = parser.finish(outcome);
      return { ...parsed, backendSessionId: this.session ?? parsed.backendSessionId };
    }
    const parsed: ParsedOutcome = { text: "", backendSessionId: this.session, events: [] };
    // Between turns an exit is the host closing stdin; before the handshake it is a failed start.
    if (!this.ready || outcome.signal || (outcome.exitCode !== 0 && outcome.exitCode !== null)) {
      parsed.error = failureWithoutResult("claude", outcome);
    }
    return parsed;
  }

  /** A line for the one-shot reader: the same events as a -p run's (outside a turn, none but raw). */
  private parsed(text: string): LiveStep {
    if (this.parser) return step({ events: this.parser.line(text) });
    const message = parseJsonObject(text);
    if (!message) return step({ events: text.trim() ? [{ type: "raw", stream: "stdout", line: text }] : [] });
    return step();
  }

  private controlResponse(response: Json): LiveStep {
    const id = str(response.request_id);
    if (!id || id !== this.initializeId) return step();
    this.initializeId = undefined;
    if (response.subtype !== "success") {
      return step({
        fatal: { code: "backend_error", message: `claude refused the handshake: ${errorText(response)}` },
      });
    }
    this.ready = true;
    return step({ ready: true });
  }

  private controlRequest(message: Json): LiveStep {
    const id = str(message.request_id);
    const request = obj(message.request) ?? {};
    if (!id || !PROTOCOL_ID.test(id)) {
      return step({ fatal: { code: "bad_output", message: "claude sent a control request without a valid id" } });
    }
    if (request.subtype !== "can_use_tool") {
      // Hooks, MCP messages, elicitations: nothing here serves them; an answer keeps claude from waiting.
      const error = `clinvoker does not handle ${str(request.subtype) ?? "this"} requests`;
      return step({
        write: [line({ type: "control_response", response: { subtype: "error", request_id: id, error } })],
      });
    }
    const tool = str(request.tool_name) ?? "unknown";
    if (this.pending.size >= MAX_PENDING) {
      return step({ write: [answer(id, { behavior: "deny", message: "Too many pending permission requests." }, {})] });
    }
    const toolUseId = str(request.tool_use_id);
    // The host was asked: a denial (or claude withdrawing the request) is not a refusal without asking.
    if (toolUseId) this.asked.add(toolUseId);
    this.pending.set(id, request.input);
    const permission: PermissionRequest = { id, tool, input: request.input ?? {} };
    const description = str(request.decision_reason) ?? str(request.description) ?? str(request.title);
    if (description) permission.description = description;
    return step({ permission });
  }

  private result(text: string, message: Json): LiveStep {
    const parser = this.parser;
    // A result outside a turn (none seen so far) has no one to go to.
    if (!parser) return step();
    this.noteSession(message.session_id);
    const events = parser.line(text);
    const outcome = parser.finish({ exitCode: 0, signal: null, stderr: "" });
    this.parser = undefined;
    this.pending.clear();
    const total = num(message.total_cost_usd);
    if (total !== undefined && outcome.usage) {
      const turnCost = Math.max(0, Math.round((total - this.costSoFar) * 1e6) / 1e6);
      this.costSoFar = Math.max(this.costSoFar, total);
      outcome.usage.cost_usd = turnCost;
      for (const event of events) if (event.type === "usage") event.usage = { ...event.usage, cost_usd: turnCost };
    }
    outcome.backendSessionId = this.session ?? outcome.backendSessionId;
    if (this.interrupting && isAborted(message)) {
      // Not a failure: the host asked for it. The text is what the agent had written so far.
      delete outcome.error;
      outcome.text = parser.lastAssistantText;
      return step({ events, turnEnd: { ...outcome, interrupted: true } });
    }
    return step({ events, turnEnd: outcome });
  }

  private noteSession(value: unknown): void {
    const id = str(value);
    if (id && PROTOCOL_ID.test(id)) this.session = id;
  }

  private nextId(kind: string): string {
    this.sequence += 1;
    return `clinvk-${kind}-${this.sequence}`;
  }
}

/** The result of a turn cut short by `interrupt` (`error_during_execution`, `terminal_reason: aborted_*`). */
function isAborted(result: Json): boolean {
  const reason = str(result.terminal_reason);
  if (reason) return reason.startsWith("aborted");
  return result.subtype === "error_during_execution";
}

/** claude's answer to `can_use_tool`; it takes the input to run with: the agent's own unless the host edited it. */
function answer(id: string, decision: PermissionDecision, asked: unknown): string {
  const response =
    decision.behavior === "allow"
      ? { behavior: "allow", updatedInput: obj(decision.input) ?? obj(asked) ?? {} }
      : { behavior: "deny", message: decision.message || "The user denied this tool call." };
  return line({ type: "control_response", response: { subtype: "success", request_id: id, response } });
}

function errorText(response: Json): string {
  return str(response.error) ?? "no reason given";
}

function line(message: unknown): string {
  return JSON.stringify(message);
}

function step(parts: Partial<LiveStep> = {}): LiveStep {
  return { events: [] as EventBody[], write: [], ...parts };
}
