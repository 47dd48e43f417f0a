/**
 * gemini's live mode: `gemini --acp`, the Agent Client Protocol (JSON-RPC 2.0, one message a line).
 * The client says `initialize`, opens a conversation with `session/new` (or `session/load`), and
 * runs each turn as a `session/prompt` request, answered with its `stopReason` (and token counts in
 * `_meta.quota`) when the turn is over; text and tool calls arrive as `session/update` notifications
 * meanwhile. `session/cancel` stops a turn; the agent asks before a tool runs with its own request,
 * `session/request_permission`. Recorded in test/fixtures/cli-output/gemini-live (README there).
 *
 * A turn names the conversation it continues (`LiveTurnInput.resume`): another one is loaded first, and a
 * turn naming none in a process whose session already had a prompt gets a new session (a pooled process
 * serving a new conversation).
 */

import type { ErrorInfo } from "../core/errors.js";
import type { EventBody, PermissionDenial, Usage } from "../core/events.js";
import type { PermissionDecision, PermissionRequest } from "../core/permissions.js";
import type { Invocation, ParsedOutcome, ProcessOutcome } from "./backend.js";
import { classifyProviderError, int, num, obj, parseJsonObject, str } from "./classify.js";
import { GEMINI_STDERR_NOISE, geminiFailure, unwrapApiError } from "./gemini-errors.js";
import { geminiRunFlags } from "./gemini-flags.js";
import type { LiveCodec, LiveLaunchOptions, LiveProtocol, LiveStep, LiveTurnInput } from "./live-protocol.js";
import { failureWithoutResult } from "./outcome.js";

const PROTOCOL_VERSION = 1;
/** Session ids are UUIDs; anything else from the wire is not used as one (nor written back). */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Pending permission requests kept at once: the agent asks one at a time; more is a runaway. */
const MAX_PENDING_PERMISSIONS = 64;
/** The answer text kept for the outcome: enough for any answer, bounded against a runaway stream. */
const MAX_TEXT_CHARS = 8 * 1024 * 1024;

export const geminiLive: LiveProtocol = {
  // session/load could open any conversation in a running process, but the pinned CLI's session store
  // loses conversations there (fixtures README: a load in the minute the session began empties it, a
  // second load fails and deletes its files): a process goes on only with the session it began, and a
  // resume no warm process holds runs one-shot (`--resume`, which is safe).
  capabilities: { interrupt: true, permissions: true, resume: "own", streaming: true },
  minVersion: "0.61.0",

  launch(options: LiveLaunchOptions): Invocation {
    const args = ["--acp"];
    const { warnings, overlay } = geminiRunFlags(options, args);
    // `--resume` does nothing under --acp: the codec opens the conversation with session/load.
    if (options.forkSession) warnings.push("gemini cannot fork a session; the resumed session continues");
    args.push(...options.extraFlags);
    return { args, warnings, overlay };
  },

  connect: (options) => new GeminiAcpCodec(options),
};

type Phase = "init" | "opening" | "idle" | "loading" | "turn" | "closed";
type RequestKind = "initialize" | "open" | "load" | "renew" | "prompt" | "invalid";

interface PendingPermission {
  toolCallId: string;
  tool: string;
  input: unknown;
  options: Array<{ optionId: string; kind: string }>;
}

class GeminiAcpCodec implements LiveCodec {
  private phase: Phase = "init";
  private nextId = 1;
  private sessionId: string | undefined;
  /** Request ids we sent and what they were for. */
  private readonly requests = new Map<number, RequestKind>();
  private readonly permissions = new Map<string, PendingPermission & { rpcId: string | number }>();
  /** A turn waiting for its session/load (LiveTurnInput.resume) to finish. */
  private queuedPrompt: LiveTurnInput | undefined;
  private interrupted = false;
  /** The session has had a prompt: a turn that names no conversation needs a new one. */
  private used = false;
  /**
   * After a session/load, gemini replays the conversation as session/update notifications, some of them
   * after the load's answer and our next prompt; its `available_commands_update` follows the last of them.
   * The session being replayed (the commands list of another session says nothing of it).
   */
  private replaying: string | undefined;
  private text = "";
  private model: string | undefined;
  private denials: PermissionDenial[] = [];
  private readonly toolNames = new Map<string, string>();
  /** Files this turn attached by path: gemini asks before it reads one outside its workspace. */
  private readonly attached = new Set<string>();
  /** Events of a decision taken in decide() (which returns only lines), given with the next step. */
  private carried: EventBody[] = [];

  constructor(private readonly options: LiveLaunchOptions) {}

  get conversationId(): string | undefined {
    return this.sessionId;
  }

  start(): string[] {
    return [
      this.request("initialize", "initialize", {
        protocolVersion: PROTOCOL_VERSION,
        // No client file system or terminal: the agent uses its own tools, as one-shot runs do.
        clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      }),
    ];
  }

  turn(input: LiveTurnInput): string[] {
    this.beginTurn();
    if (input.resume && input.resume !== this.sessionId) {
      // Not an id to write: a request the agent refuses stands in, so that the turn still ends (on its answer).
      if (!SESSION_ID.test(input.resume)) return [this.request("clinvoker/invalid_session_id", "invalid", {})];
      this.phase = "loading";
      this.queuedPrompt = input;
      return [this.load(input.resume)];
    }
    // A pooled process can serve a new conversation after another one: it gets a session of its own.
    if (!input.resume && this.used) {
      this.phase = "loading";
      this.queuedPrompt = input;
      return [this.request("session/new", "renew", { cwd: this.options.cwd, mcpServers: [] })];
    }
    return [this.prompt(input)];
  }

  interrupt(): string[] {
    if (this.phase !== "turn" && this.phase !== "loading") return [];
    this.interrupted = true;
    if (this.phase === "loading" || !this.sessionId) return [];
    const lines = [notification("session/cancel", { sessionId: this.sessionId })];
    // ACP: a client that cancels answers its pending permission requests `cancelled`.
    for (const [id, pending] of this.permissions) {
      lines.push(response(pending.rpcId, { outcome: { outcome: "cancelled" } }));
      this.permissions.delete(id);
    }
    return lines;
  }

  decide(id: string, decision: PermissionDecision): string[] {
    const pending = this.permissions.get(id);
    if (!pending) return [];
    this.permissions.delete(id);
    if (decision.behavior === "allow") {
      const option = pick(pending.options, ["allow_once", "allow_always"]);
      return [response(pending.rpcId, selected(option))];
    }
    this.refused(pending, decision.message);
    return [response(pending.rpcId, selected(pick(pending.options, ["reject_once", "reject_always"])))];
  }

  line(line: string): LiveStep {
    const step: LiveStep = { events: this.carried, write: [] };
    this.carried = [];
    const message = parseJsonObject(line);
    if (message?.jsonrpc !== "2.0") {
      if (line.trim()) step.events.push({ type: "raw", stream: "stdout", line });
      return step;
    }
    const method = str(message.method);
    if (method !== undefined) {
      if (message.id === undefined) this.notification(method, obj(message.params) ?? {}, step);
      else this.agentRequest(message.id, method, obj(message.params) ?? {}, step);
      return step;
    }
    const id = num(message.id);
    const kind = id === undefined ? undefined : this.requests.get(id);
    if (id === undefined || !kind) {
      step.events.push({ type: "raw", stream: "stdout", line, raw: message });
      return step;
    }
    this.requests.delete(id);
    const error = obj(message.error);
    const result = obj(message.result) ?? {};
    switch (kind) {
      case "initialize":
        this.initialized(result, error, step);
        break;
      case "open":
        this.opened(result, error, step);
        break;
      case "load":
        this.loaded(error, step);
        break;
      case "renew":
        this.renewed(result, error, step);
        break;
      case "prompt":
        this.prompted(result, error, step, message);
        break;
      case "invalid":
        this.phase = "idle";
        step.turnEnd = {
          ...this.outcome(),
          error: { code: "session_not_found", message: "not a gemini session id; the turn was not run" },
        };
        break;
    }
    return step;
  }

  exited(outcome: ProcessOutcome): ParsedOutcome {
    const wasTurn = this.phase === "turn" || this.phase === "loading";
    this.phase = "closed";
    this.permissions.clear();
    const base = { text: "", backendSessionId: this.sessionId, model: this.model, events: [] };
    if (!wasTurn && outcome.exitCode === 0 && !outcome.signal) return base;
    // gemini exits 0 on SIGTERM: a turn cut short by an exit is a failure all the same.
    const error =
      wasTurn && outcome.exitCode === 0 && !outcome.signal
        ? failureWithoutResult("gemini", outcome, GEMINI_STDERR_NOISE)
        : geminiFailure(undefined, outcome);
    return { ...base, permissionDenials: this.denials.length ? this.denials : undefined, error };
  }

  // ---- handshake ----

  private initialized(result: Record<string, unknown>, error: Record<string, unknown> | undefined, step: LiveStep) {
    if (error) {
      step.fatal = rpcFailure(error, "gemini refused the ACP handshake");
      return;
    }
    const resume = this.options.resume;
    if (!resume) {
      this.phase = "opening";
      step.write.push(this.request("session/new", "open", { cwd: this.options.cwd, mcpServers: [] }));
      return;
    }
    if (obj(result.agentCapabilities)?.loadSession !== true || !SESSION_ID.test(resume)) {
      step.fatal = { code: "session_not_found", message: `gemini cannot open the session ${JSON.stringify(resume)}` };
      return;
    }
    this.phase = "opening";
    step.write.push(this.load(resume, "open"));
  }

  private opened(result: Record<string, unknown>, error: Record<string, unknown> | undefined, step: LiveStep) {
    if (error) {
      step.fatal = this.options.resume ? loadFailure(error) : rpcFailure(error, "gemini could not start a session");
      return;
    }
    const id = this.options.resume ?? str(result.sessionId);
    if (!id || !SESSION_ID.test(id)) {
      step.fatal = { code: "bad_output", message: "gemini started a session without a usable id" };
      return;
    }
    this.sessionId = id;
    const model = str(obj(result.models)?.currentModelId);
    if (model && model !== "auto") this.model = model;
    this.phase = "idle";
    step.ready = true;
    step.events.push({ type: "init", backend_session_id: id, model: this.model });
  }

  // ---- turns ----

  private beginTurn() {
    this.phase = "turn";
    this.interrupted = false;
    this.text = "";
    this.denials = [];
    this.toolNames.clear();
    this.attached.clear();
  }

  private load(sessionId: string, kind: "open" | "load" = "load"): string {
    this.replaying = sessionId;
    return this.request("session/load", kind, { sessionId, cwd: this.options.cwd, mcpServers: [] });
  }

  private loaded(error: Record<string, unknown> | undefined, step: LiveStep) {
    const input = this.queuedPrompt;
    this.queuedPrompt = undefined;
    if (error || !input?.resume) {
      this.phase = "idle";
      step.turnEnd = { ...this.outcome(), error: error ? loadFailure(error) : undefined };
      return;
    }
    this.sessionId = input.resume;
    this.begin(input, step);
  }

  private renewed(result: Record<string, unknown>, error: Record<string, unknown> | undefined, step: LiveStep) {
    const input = this.queuedPrompt;
    this.queuedPrompt = undefined;
    const id = str(result.sessionId);
    if (error || !input || !id || !SESSION_ID.test(id)) {
      this.phase = "idle";
      const failure = error
        ? rpcFailure(error, "gemini could not start a session")
        : { code: "bad_output" as const, message: "gemini started a session without a usable id" };
      step.turnEnd = { ...this.outcome(), error: failure };
      return;
    }
    this.sessionId = id;
    this.used = false;
    this.begin(input, step);
  }

  /** The session is open: say which, and send the prompt (unless an interrupt came meanwhile). */
  private begin(input: LiveTurnInput, step: LiveStep): void {
    step.events.push({ type: "init", backend_session_id: this.sessionId, model: this.model });
    if (this.interrupted) {
      this.phase = "idle";
      step.turnEnd = { ...this.outcome(), interrupted: true };
      return;
    }
    this.phase = "turn";
    step.write.push(this.prompt(input));
  }

  private prompt(input: LiveTurnInput): string {
    this.used = true;
    const blocks: unknown[] = [{ type: "text", text: input.prompt }];
    for (const image of input.images ?? []) {
      if (!image.base64) this.attached.add(image.path);
      blocks.push(
        image.base64
          ? { type: "image", mimeType: image.mediaType, data: image.base64 }
          : { type: "resource_link", uri: `file://${image.path}`, name: image.path, mimeType: image.mediaType },
      );
    }
    return this.request("session/prompt", "prompt", { sessionId: this.sessionId, prompt: blocks });
  }

  private prompted(
    result: Record<string, unknown>,
    error: Record<string, unknown> | undefined,
    step: LiveStep,
    raw: Record<string, unknown>,
  ) {
    this.phase = "idle";
    this.permissions.clear();
    const quota = obj(obj(result._meta)?.quota);
    const usage = quota ? acpUsage(quota) : undefined;
    this.model = (quota && mainModel(quota)) ?? this.model;
    if (usage) step.events.push({ type: "usage", usage, raw });
    const outcome = { ...this.outcome(), usage };
    if (error) {
      // A turn the host interrupted may still end in an error (the aborted request): it was interrupted.
      step.turnEnd = this.interrupted
        ? { ...outcome, text: "", interrupted: true }
        : { ...outcome, text: "", error: turnFailure(error) };
      return;
    }
    const stopReason = str(result.stopReason);
    if (stopReason === "cancelled") {
      step.turnEnd = { ...outcome, interrupted: true };
      return;
    }
    if (stopReason === "max_turn_requests" || stopReason === "max_tokens" || stopReason === "refusal") {
      step.events.push({ type: "notice", level: "warn", message: `gemini ended the turn early: ${stopReason}` });
    }
    step.turnEnd = outcome;
  }

  private outcome(): ParsedOutcome {
    return {
      text: this.text,
      backendSessionId: this.sessionId,
      model: this.model,
      permissionDenials: this.denials.length ? [...this.denials] : undefined,
      events: [],
    };
  }

  // ---- what the agent says during a turn ----

  private notification(method: string, params: Record<string, unknown>, step: LiveStep) {
    const update = obj(params.update);
    if (method !== "session/update" || !update) return;
    const sessionId = str(params.sessionId);
    if (update.sessionUpdate === "available_commands_update") {
      if (sessionId === this.replaying) this.replaying = undefined;
      return;
    }
    // A tool that starts now is this turn's (replayed ones are completed or failed).
    if (
      this.replaying &&
      update.sessionUpdate === "tool_call" &&
      !/^(completed|failed)$/.test(str(update.status) ?? "")
    ) {
      this.replaying = undefined;
    }
    // Outside a turn, and while a load replays the history, nothing is this turn's.
    if (this.replaying || this.phase !== "turn" || sessionId !== this.sessionId) return;
    const content = obj(update.content);
    switch (update.sessionUpdate) {
      case "agent_message_chunk": {
        const text = str(content?.text);
        if (!text) return;
        if (this.text.length < MAX_TEXT_CHARS) this.text += text;
        step.events.push({ type: "text", text, raw: params });
        return;
      }
      case "agent_thought_chunk": {
        const text = str(content?.text);
        if (text) step.events.push({ type: "thinking", text, raw: params });
        return;
      }
      case "tool_call": {
        const id = str(update.toolCallId) ?? "";
        const name = toolName(id);
        this.toolNames.set(id, name);
        // The answer is what the agent says after its last tool call, as for the one-shot parser.
        this.text = "";
        step.events.push({ type: "tool_call", id, name, input: toolInput(update), raw: params });
        return;
      }
      case "tool_call_update": {
        const status = str(update.status);
        if (status !== "completed" && status !== "failed") return;
        const id = str(update.toolCallId) ?? "";
        step.events.push({
          type: "tool_result",
          id,
          name: this.toolNames.get(id) ?? toolName(id),
          output: contentText(update.content),
          is_error: status === "failed",
          raw: params,
        });
        return;
      }
      default:
        return;
    }
  }

  private agentRequest(rpcId: unknown, method: string, params: Record<string, unknown>, step: LiveStep) {
    const id = typeof rpcId === "number" || typeof rpcId === "string" ? rpcId : undefined;
    if (id === undefined) return;
    if (method !== "session/request_permission") {
      // We declared no fs or terminal: anything else asked of us is refused, so the agent does not wait.
      step.write.push(errorResponse(id, -32601, `method not supported by this client: ${method}`));
      return;
    }
    const toolCall = obj(params.toolCall) ?? {};
    const toolCallId = str(toolCall.toolCallId) ?? "";
    const options = (Array.isArray(params.options) ? params.options : [])
      .map((option) => obj(option))
      .flatMap((option) =>
        option && str(option.optionId) && str(option.kind)
          ? [{ optionId: str(option.optionId) as string, kind: str(option.kind) as string }]
          : [],
      );
    const pending = { rpcId: id, toolCallId, tool: toolName(toolCallId), input: toolInput(toolCall), options };
    if (this.phase !== "turn" || this.interrupted) {
      step.write.push(response(id, { outcome: { outcome: "cancelled" } }));
      return;
    }
    // Reading a file the prompt attached (an image outside the workspace) is the caller's own request.
    if ([...this.attached].some((path) => toolCallId.startsWith(`resolve-prompt-${path}-`))) {
      step.write.push(response(id, selected(pick(options, ["allow_once", "allow_always"]))));
      return;
    }
    this.replaying = undefined;
    this.toolNames.set(toolCallId, pending.tool);
    // The agent announces no tool_call for a tool it asks about: this is where it starts.
    step.events.push({ type: "tool_call", id: toolCallId, name: pending.tool, input: pending.input, raw: params });
    this.text = "";
    const key = String(id);
    if (!this.options.askPermissions || this.permissions.size >= MAX_PENDING_PERMISSIONS) {
      // As a one-shot run under this approval mode: refused without asking, and reported.
      this.refused(pending);
      step.events.push(...this.carried);
      this.carried = [];
      step.write.push(response(id, selected(pick(options, ["reject_once", "reject_always"]))));
      return;
    }
    this.permissions.set(key, pending);
    const request: PermissionRequest = { id: key, tool: pending.tool, input: pending.input };
    const description = str(toolCall.title);
    if (description) request.description = description;
    step.permission = request;
  }

  /** A refused tool: the agent says nothing more of it (no tool_call_update), so its result is ours. */
  private refused(pending: PendingPermission, message?: string) {
    this.denials.push({ tool: pending.tool, input: pending.input });
    this.carried.push({
      type: "tool_result",
      id: pending.toolCallId,
      name: pending.tool,
      output: message ?? "denied",
      is_error: true,
    });
  }

  private request(method: string, kind: RequestKind, params: unknown): string {
    const id = this.nextId++;
    this.requests.set(id, kind);
    return JSON.stringify({ jsonrpc: "2.0", id, method, params });
  }
}

const notification = (method: string, params: unknown) => JSON.stringify({ jsonrpc: "2.0", method, params });
const response = (id: string | number, result: unknown) => JSON.stringify({ jsonrpc: "2.0", id, result });
const errorResponse = (id: string | number, code: number, message: string) =>
  JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });

/** The option of the first kind offered; without one, `cancelled` (which the agent takes as a refusal). */
function pick(options: Array<{ optionId: string; kind: string }>, kinds: string[]): string | undefined {
  for (const kind of kinds) {
    const option = options.find((o) => o.kind === kind);
    if (option) return option.optionId;
  }
  return undefined;
}

const selected = (optionId: string | undefined) =>
  optionId ? { outcome: { outcome: "selected", optionId } } : { outcome: { outcome: "cancelled" } };

/**
 * gemini's tool-call ids are `<tool>__<id>` (the model's id, or `<tool>_<ms>_<n>` when it gave none);
 * ACP carries no tool name besides.
 */
function toolName(toolCallId: string): string {
  const cut = toolCallId.indexOf("__");
  return cut > 0 ? toolCallId.slice(0, cut) : toolCallId || "unknown";
}

/** ACP carries no tool arguments (no rawInput from gemini): what it says of the call instead. */
function toolInput(toolCall: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const title = str(toolCall.title);
  if (title) input.title = title;
  const kind = str(toolCall.kind);
  if (kind) input.kind = kind;
  const locations = Array.isArray(toolCall.locations) ? toolCall.locations.flatMap((l) => str(obj(l)?.path) ?? []) : [];
  if (locations.length) input.locations = locations;
  const text = contentText(toolCall.content);
  if (text) input.content = text;
  return input;
}

/** The text of ACP tool-call content: text blocks as they are, diffs as their new text. */
function contentText(content: unknown): string | undefined {
  if (!Array.isArray(content)) return undefined;
  const parts = content.flatMap((item) => {
    const block = obj(item);
    if (block?.type === "content") return str(obj(block.content)?.text) ?? [];
    if (block?.type === "diff") return str(block.newText) ?? [];
    return [];
  });
  return parts.length ? parts.join("\n") : undefined;
}

function acpUsage(quota: Record<string, unknown>): Usage | undefined {
  const counts = obj(quota.token_count);
  if (!counts) return undefined;
  return {
    input_tokens: int(counts.input_tokens),
    output_tokens: int(counts.output_tokens),
    cached_tokens: 0,
    reasoning_tokens: 0,
  };
}

/** The model that did the work: the one with the most tokens (`auto` is the router's own entry). */
function mainModel(quota: Record<string, unknown>): string | undefined {
  let best: string | undefined;
  let bestTokens = -1;
  for (const entry of Array.isArray(quota.model_usage) ? quota.model_usage : []) {
    const model = str(obj(entry)?.model);
    const counts = obj(obj(entry)?.token_count);
    if (!model || model === "auto") continue;
    const tokens = int(counts?.input_tokens) + int(counts?.output_tokens);
    if (tokens > bestTokens) {
      best = model;
      bestTokens = tokens;
    }
  }
  return best;
}

/** A JSON-RPC error's own words: gemini puts the cause in `data.details` for internal errors. */
function rpcMessage(error: Record<string, unknown>): string {
  return str(obj(error.data)?.details) ?? str(error.message) ?? "gemini reported an error";
}

function rpcFailure(error: Record<string, unknown>, context: string): ErrorInfo {
  const message = rpcMessage(error);
  // ACP's auth_required.
  if (error.code === -32000) {
    return {
      code: "auth",
      message: `${context}: ${message}`,
      hint: 'set GEMINI_API_KEY and select "gemini-api-key" auth in ~/.gemini/settings.json, or log in with `gemini` once',
    };
  }
  const info = classifyProviderError(`${context}: ${message}`, httpStatus(error));
  return info.code === "api_error" && httpStatus(error) === undefined ? { ...info, code: "backend_error" } : info;
}

/** A failed turn: gemini answers session/prompt with the provider's HTTP status as the JSON-RPC code. */
function turnFailure(error: Record<string, unknown>): ErrorInfo {
  const unwrapped = unwrapApiError(rpcMessage(error));
  return classifyProviderError(unwrapped.text, unwrapped.status ?? httpStatus(error));
}

function loadFailure(error: Record<string, unknown>): ErrorInfo {
  const message = rpcMessage(error);
  if (/invalid session identifier|no previous sessions|session not found/i.test(message)) {
    return {
      code: "session_not_found",
      message: `gemini has no session with that id in this working directory: ${message.split("\n")[0]}`,
      hint: "gemini sessions belong to the directory they ran in; resume from the same workdir",
    };
  }
  return rpcFailure(error, "gemini could not load the session");
}

function httpStatus(error: Record<string, unknown>): number | undefined {
  const code = num(error.code);
  return code !== undefined && code >= 400 && code < 600 ? code : undefined;
}
