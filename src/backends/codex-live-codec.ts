/**
 * The codec of one `codex app-server` process (JSON-RPC 2.0 without the `"jsonrpc"` field, one
 * object a line). Handshake: `initialize` → its answer → the `initialized` notification and
 * `thread/start` (or `thread/resume`) → its answer: ready. A turn is `turn/start` (answered at once
 * with the turn's id) and ends with the `turn/completed` notification, whose status is `completed`,
 * `failed` or `interrupted`. Approvals are server requests answered with `{decision}`.
 */

import type { ErrorInfo } from "../core/errors.js";
import type { EventBody, PermissionDenial, Usage } from "../core/events.js";
import type { PermissionDecision, PermissionRequest } from "../core/permissions.js";
import { VERSION } from "../version.js";
import type { ParsedOutcome, ProcessOutcome } from "./backend.js";
import { classifyProviderError, int, obj, parseJsonObject, str } from "./classify.js";
import { APPROVAL_POLICY, STDERR_NOISE } from "./codex-config.js";
import type { LiveCodec, LiveLaunchOptions, LiveStep, LiveTurnInput } from "./live-protocol.js";
import { failureWithoutResult } from "./outcome.js";

type Json = Record<string, unknown>;

export interface CodexLiveSettings extends LiveLaunchOptions {
  /** codex's sandbox mode (`workspace-write` ...), from the options or an extra flag. */
  sandbox?: string;
}

/** Thread, turn and item ids (UUIDs, `msg_…`, `exec-…`): checked before they go back to codex. */
const PROTOCOL_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const validId = (value: unknown): string | undefined =>
  typeof value === "string" && PROTOCOL_ID.test(value) ? value : undefined;
/** JSON-RPC ids of codex's requests to us: numbers (0, 1, ...) or short strings. */
const rpcId = (value: unknown): number | string | undefined =>
  (typeof value === "number" && Number.isSafeInteger(value)) || validId(value) !== undefined
    ? (value as number | string)
    : undefined;

/** Approval requests waiting for the host at once; more are declined (a runaway, not a person's pace). */
const MAX_PENDING_PERMISSIONS = 64;
/** A line we do not understand is kept as a raw event, cut to this. */
const MAX_RAW_LINE = 4096;
const METHOD_NOT_FOUND = -32601;

/** What each of our requests was, by its id. */
type Pending = "initialize" | "open" | "switch" | "turn" | "interrupt" | "unsubscribe";

interface Turn {
  /** Known once `turn/start` is answered. */
  id?: string;
  /** The last completed agent message (the one-shot's answer). */
  lastMessage: string;
  /** Text streamed for items not completed yet (an interrupted turn's answer so far). */
  partial: Map<string, string>;
  /** Items whose text arrived as deltas (their completed text is not repeated). */
  streamed: Set<string>;
  usage?: Usage;
  failure?: ErrorInfo;
  denials: PermissionDenial[];
  interruptAsked: boolean;
  /** The changes of file-change items, which their approval requests do not repeat. */
  changes: Map<string, unknown>;
}

const newTurn = (): Turn => ({
  lastMessage: "",
  partial: new Map(),
  streamed: new Set(),
  denials: [],
  interruptAsked: false,
  changes: new Map(),
});

export class CodexLiveCodec implements LiveCodec {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private threadId: string | undefined;
  private model: string | undefined;
  private ready = false;
  private turnState: Turn | undefined;
  /** A turn waiting for the thread it continues to be opened (`thread/resume` first). */
  private queued: LiveTurnInput | undefined;
  private readonly permissions = new Map<string, number | string>();

  constructor(private readonly options: CodexLiveSettings) {}

  get conversationId(): string | undefined {
    return this.threadId;
  }

  start(): string[] {
    return [
      this.request(
        "initialize",
        {
          clientInfo: { name: "clinvk", title: "clinvoker", version: VERSION },
          capabilities: null,
        },
        "initialize",
      ),
    ];
  }

  turn(input: LiveTurnInput): string[] {
    if (!this.ready || this.turnState) return [];
    this.turnState = newTurn();
    if (input.resume !== undefined && input.resume !== this.threadId) {
      this.queued = input;
      return [this.request("thread/resume", this.resumeParams(input.resume), "switch")];
    }
    return [this.turnStart(input)];
  }

  interrupt(): string[] {
    const turn = this.turnState;
    if (!turn || turn.interruptAsked) return [];
    turn.interruptAsked = true;
    // Before `turn/start` is answered there is no turn id to name: asked again once it is known.
    return turn.id ? [this.interruptRequest(turn.id)] : [];
  }

  decide(id: string, decision: PermissionDecision): string[] {
    const requestId = this.permissions.get(id);
    if (requestId === undefined) return [];
    this.permissions.delete(id);
    return [answer(requestId, decision.behavior === "allow" ? "accept" : "decline")];
  }

  line(line: string): LiveStep {
    const message = parseJsonObject(line);
    if (!message) {
      return {
        events: line.trim() ? [{ type: "raw", stream: "stdout", line: line.slice(0, MAX_RAW_LINE) }] : [],
        write: [],
      };
    }
    const method = str(message.method);
    if (method === undefined) return this.response(message);
    if (message.id !== undefined) return this.serverRequest(method, message);
    return this.notification(method, obj(message.params) ?? {});
  }

  exited(outcome: ProcessOutcome): ParsedOutcome {
    const turn = this.turnState;
    this.turnState = undefined;
    this.ready = false;
    const base = { text: "", backendSessionId: this.threadId, model: this.model, events: [] };
    if (!turn) return this.threadId ? base : { ...base, error: failureWithoutResult("codex", outcome, STDERR_NOISE) };
    return {
      ...this.outcomeOf(turn),
      text: answerOf(turn),
      error: turn.failure ?? failureWithoutResult("codex", outcome, STDERR_NOISE),
    };
  }

  // ---- what we write -----------------------------------------------------------------------------

  private request(method: string, params: unknown, kind: Pending): string {
    const id = this.nextId++;
    this.pending.set(id, kind);
    return JSON.stringify({ id, method, params });
  }

  /** What the thread takes from the options: app-server has no flags for them. */
  private modes(): Json {
    const { approvalMode, model, sandbox } = this.options;
    return {
      ...(approvalMode !== "default" ? { approvalPolicy: APPROVAL_POLICY[approvalMode] } : {}),
      ...(sandbox ? { sandbox } : {}),
      ...(model ? { model } : {}),
    };
  }

  private openThread(): string {
    const { resume, ephemeral, cwd } = this.options;
    if (resume) return this.request("thread/resume", this.resumeParams(resume), "open");
    return this.request("thread/start", { cwd, ...this.modes(), ...(ephemeral ? { ephemeral: true } : {}) }, "open");
  }

  private resumeParams(threadId: string): Json {
    // excludeTurns: the full history is deprecated (a deprecationNotice says so) and not needed here.
    return { threadId, cwd: this.options.cwd, excludeTurns: true, ...this.modes() };
  }

  private turnStart(input: LiveTurnInput): string {
    const items: Json[] = [{ type: "text", text: input.prompt, text_elements: [] }];
    for (const image of input.images ?? []) items.push({ type: "localImage", path: image.path });
    return this.request("turn/start", { threadId: this.threadId, input: items }, "turn");
  }

  private interruptRequest(turnId: string): string {
    return this.request("turn/interrupt", { threadId: this.threadId, turnId }, "interrupt");
  }

  // ---- what codex says ---------------------------------------------------------------------------

  private response(message: Json): LiveStep {
    const step: LiveStep = { events: [], write: [] };
    const id = typeof message.id === "number" ? message.id : undefined;
    const kind = id === undefined ? undefined : this.pending.get(id);
    if (id === undefined || kind === undefined) return step;
    this.pending.delete(id);
    const error = obj(message.error);
    const result = obj(message.result) ?? {};
    switch (kind) {
      case "initialize":
        if (error) return { ...step, fatal: handshakeError(error) };
        step.write.push(JSON.stringify({ method: "initialized" }), this.openThread());
        return step;
      case "open":
        if (error) return { ...step, fatal: threadError(error) };
        if (!this.opened(result)) return { ...step, fatal: badOutput("thread/start answered without a thread id") };
        this.ready = true;
        step.ready = true;
        return step;
      case "switch": {
        const input = this.queued;
        const previous = this.threadId;
        this.queued = undefined;
        if (error || !this.opened(result) || !input) {
          return this.endTurn(step, error ? threadError(error) : badOutput("thread/resume answered without a thread"));
        }
        // A pooled process serves many conversations in turn: the one it held stops sending us its
        // notifications (codex 0.169 keeps it loaded all the same; see the fixtures' README).
        if (previous && previous !== this.threadId)
          step.write.push(this.request("thread/unsubscribe", { threadId: previous }, "unsubscribe"));
        const turn = this.turnState;
        // Interrupted before it started: the thread is open, the prompt is not sent.
        if (turn?.interruptAsked) {
          this.finishTurn();
          step.turnEnd = { ...this.outcomeOf(turn), interrupted: true };
          return step;
        }
        step.write.push(this.turnStart(input));
        return step;
      }
      case "turn": {
        const turn = this.turnState;
        if (!turn) return step;
        if (error) return this.endTurn(step, classifyProviderError(str(error.message) ?? "codex refused the turn"));
        this.turnKnown(turn, obj(result.turn)?.id, step);
        return step;
      }
      case "unsubscribe":
        return step;
      case "interrupt":
        if (error) {
          const text = str(error.message) ?? "codex could not interrupt the turn";
          step.events.push({ type: "notice", level: "warn", message: text });
        }
        return step;
    }
  }

  /** A thread/start or thread/resume answer: the thread this process now holds. */
  private opened(result: Json): boolean {
    const thread = obj(result.thread);
    const threadId = validId(thread?.id);
    if (!threadId) return false;
    this.threadId = threadId;
    this.model = str(result.model) ?? str(thread?.model) ?? this.model;
    return true;
  }

  private serverRequest(method: string, message: Json): LiveStep {
    const step: LiveStep = { events: [], write: [] };
    const requestId = rpcId(message.id);
    if (requestId === undefined) return step;
    const params = obj(message.params) ?? {};
    const request = this.permissionRequest(method, params, requestId);
    if (!request) {
      // Questions we cannot put to anyone (user input, MCP elicitation, v1 approvals): an error is
      // codex's "no" and keeps the turn from waiting forever.
      const error = { code: METHOD_NOT_FOUND, message: `clinvoker does not answer ${method}` };
      step.write.push(JSON.stringify({ id: requestId, error }));
      return step;
    }
    const turn = this.turnState;
    if (!this.options.askPermissions || this.permissions.size >= MAX_PENDING_PERMISSIONS) {
      // As `codex exec` does: refused without asking, reported as a denial.
      turn?.denials.push({ tool: request.tool, input: request.input });
      step.write.push(answer(requestId, "decline"));
      return step;
    }
    this.permissions.set(request.id, requestId);
    step.permission = request;
    return step;
  }

  private permissionRequest(method: string, params: Json, requestId: number | string): PermissionRequest | undefined {
    const id = String(requestId);
    const reason = str(params.reason) ?? undefined;
    if (method === "item/commandExecution/requestApproval") {
      const command = str(params.command);
      return {
        id,
        tool: "exec_command",
        input: { command, cwd: str(params.cwd) },
        ...(reason || command ? { description: reason ?? command } : {}),
      };
    }
    if (method === "item/fileChange/requestApproval") {
      const itemId = str(params.itemId) ?? "";
      const changes = this.turnState?.changes.get(itemId);
      return {
        id,
        tool: "apply_patch",
        input: { changes, ...(str(params.grantRoot) ? { grantRoot: params.grantRoot } : {}) },
        ...(reason ? { description: reason } : {}),
      };
    }
    return undefined;
  }

  private notification(method: string, params: Json): LiveStep {
    const step: LiveStep = { events: [], write: [] };
    const turn = this.turnState;
    // Only this thread's current turn: a resumed thread replays an old turn's usage, sub-agents have threads of their own.
    if (!turn) return step;
    if (params.threadId !== undefined && params.threadId !== this.threadId) return step;
    if (method === "turn/started") {
      this.turnKnown(turn, obj(params.turn)?.id, step);
      return step;
    }
    // codex starts a turn with turn/started (or the answer to turn/start): what names another turn before that is
    // not ours (a resumed thread replays its last turn's usage).
    if (params.turnId !== undefined && params.turnId !== turn.id) return step;
    switch (method) {
      case "item/agentMessage/delta": {
        const itemId = str(params.itemId) ?? "";
        const delta = str(params.delta) ?? "";
        if (!delta) return step;
        turn.streamed.add(itemId);
        turn.partial.set(itemId, (turn.partial.get(itemId) ?? "") + delta);
        step.events.push({ type: "text", text: delta, message_id: itemId });
        return step;
      }
      case "item/reasoning/textDelta":
      case "item/reasoning/summaryTextDelta": {
        const delta = str(params.delta) ?? "";
        turn.streamed.add(str(params.itemId) ?? "");
        if (delta) step.events.push({ type: "thinking", text: delta });
        return step;
      }
      case "item/started": {
        const item = obj(params.item) ?? {};
        if (item.type === "fileChange") turn.changes.set(str(item.id) ?? "", item.changes);
        const call = toolCall(item);
        if (call) step.events.push({ type: "tool_call", ...call });
        return step;
      }
      case "item/completed":
        step.events.push(...this.itemCompleted(turn, obj(params.item) ?? {}));
        return step;
      case "thread/tokenUsage/updated": {
        const last = obj(obj(params.tokenUsage)?.last);
        if (!last) return step;
        turn.usage = addUsage(turn.usage, last);
        step.events.push({ type: "usage", usage: turn.usage });
        return step;
      }
      case "error": {
        const error = obj(params.error) ?? {};
        const message = str(error.message) ?? "codex reported an error";
        // A retry is codex's own business; the failure itself ends the turn (turn/completed, failed).
        if (params.willRetry === true) step.events.push({ type: "notice", level: "warn", message });
        else turn.failure = turnError(error);
        return step;
      }
      case "warning": {
        const message = str(params.message) ?? str(params.summary);
        if (message) step.events.push({ type: "notice", level: "warn", message });
        return step;
      }
      case "turn/completed":
        return this.turnCompleted(step, turn, obj(params.turn) ?? {});
      default:
        return step;
    }
  }

  /** The turn's id, from the answer to turn/start or from turn/started, whichever comes first. */
  private turnKnown(turn: Turn, id: unknown, step: LiveStep): void {
    if (turn.id) return;
    turn.id = validId(id);
    // Each turn opens with the session it belongs to, as a one-shot run's output does.
    step.events.push({
      type: "init",
      ...(this.threadId ? { backend_session_id: this.threadId } : {}),
      ...(this.model ? { model: this.model } : {}),
    });
    if (turn.interruptAsked && turn.id) step.write.push(this.interruptRequest(turn.id));
  }

  private itemCompleted(turn: Turn, item: Json): EventBody[] {
    const id = str(item.id) ?? "";
    switch (item.type) {
      case "userMessage":
        return [];
      case "agentMessage": {
        const text = str(item.text) ?? "";
        turn.lastMessage = text;
        turn.partial.delete(id);
        // Delivered as deltas already, unless codex sent none for this item.
        return text && !turn.streamed.has(id) ? [{ type: "text", text, message_id: id }] : [];
      }
      case "reasoning": {
        if (turn.streamed.has(id)) return [];
        const parts = [
          ...(Array.isArray(item.summary) ? item.summary : []),
          ...(Array.isArray(item.content) ? item.content : []),
        ];
        const text = parts.filter((part) => typeof part === "string").join("\n");
        return text ? [{ type: "thinking", text }] : [];
      }
      default: {
        const call = toolCall(item);
        if (!call) return [];
        return [{ type: "tool_result", id: call.id, name: call.name, ...toolOutcome(item) }];
      }
    }
  }

  private turnCompleted(step: LiveStep, turn: Turn, done: Json): LiveStep {
    const status = str(done.status);
    if (status === "interrupted") {
      this.finishTurn();
      step.turnEnd = { ...this.outcomeOf(turn), text: answerOf(turn), interrupted: true };
      return step;
    }
    const error = status === "failed" ? (turn.failure ?? turnError(obj(done.error) ?? {})) : undefined;
    return this.endTurn(step, error);
  }

  private endTurn(step: LiveStep, error?: ErrorInfo): LiveStep {
    const turn = this.turnState ?? newTurn();
    this.finishTurn();
    const outcome = this.outcomeOf(turn);
    step.turnEnd = error ? { ...outcome, text: "", error } : outcome;
    return step;
  }

  /** A request still waiting when its turn ended is moot: codex does not ask it again. */
  private finishTurn(): void {
    this.turnState = undefined;
    this.queued = undefined;
    this.permissions.clear();
  }

  private outcomeOf(turn: Turn): ParsedOutcome {
    return {
      text: turn.lastMessage,
      backendSessionId: this.threadId,
      ...(this.model ? { model: this.model } : {}),
      ...(turn.usage ? { usage: turn.usage } : {}),
      ...(turn.denials.length ? { permissionDenials: turn.denials } : {}),
      events: [],
    };
  }
}

const answer = (id: number | string, decision: "accept" | "decline") => JSON.stringify({ id, result: { decision } });

/** The answer so far: the last completed message, or what streamed of one that never completed. */
const answerOf = (turn: Turn): string => turn.lastMessage || [...turn.partial.values()].join("");

/** One update's `last` (a single model request) added to the turn's usage. */
function addUsage(usage: Usage | undefined, last: Json): Usage {
  return {
    input_tokens: (usage?.input_tokens ?? 0) + int(last.inputTokens),
    output_tokens: (usage?.output_tokens ?? 0) + int(last.outputTokens),
    cached_tokens: (usage?.cached_tokens ?? 0) + int(last.cachedInputTokens),
    reasoning_tokens: (usage?.reasoning_tokens ?? 0) + int(last.reasoningOutputTokens),
  };
}

/** A TurnError: its message classified, with the HTTP status codex forwards in `codexErrorInfo`. */
function turnError(error: Json): ErrorInfo {
  const message = str(error.message) ?? "codex turn failed";
  const info = error.codexErrorInfo;
  let status: number | undefined;
  if (info && typeof info === "object") {
    for (const detail of Object.values(info as Json)) {
      const code = obj(detail)?.httpStatusCode;
      if (typeof code === "number") status = code;
    }
  }
  if (info === "unauthorized") status = 401;
  if (info === "modelNotFound") status = 404;
  return classifyProviderError(message, status);
}

function threadError(error: Json): ErrorInfo {
  const message = str(error.message) ?? "codex could not open the thread";
  if (/no rollout found for thread id/i.test(message)) {
    return {
      code: "session_not_found",
      message: "codex has no session with that id (it may have been deleted or run under another CODEX_HOME)",
      hint: "list resumable sessions with `clinvk sessions list`",
    };
  }
  return { code: "backend_error", message: `codex app-server: ${message}` };
}

function handshakeError(error: Json): ErrorInfo {
  return {
    code: "backend_error",
    message: `codex app-server refused initialize: ${str(error.message) ?? "no reason"}`,
  };
}

const badOutput = (message: string): ErrorInfo => ({
  code: "bad_output",
  message: `codex app-server ${message}`,
  hint: "the CLI's protocol may have changed; try `clinvk doctor` and upgrade clinvoker",
});

/** app-server items that are tool runs, named as the one-shot parser names them. */
function toolCall(item: Json): { id: string; name: string; input: unknown } | undefined {
  const id = str(item.id) ?? "";
  switch (item.type) {
    case "commandExecution":
      return { id, name: "shell", input: { command: item.command } };
    case "fileChange":
      return { id, name: "file_change", input: { changes: item.changes } };
    case "mcpToolCall":
      return { id, name: `${str(item.server) ?? "mcp"}.${str(item.tool) ?? "tool"}`, input: item.arguments ?? {} };
    case "dynamicToolCall":
      return { id, name: str(item.tool) ?? "tool", input: item.arguments ?? {} };
    case "webSearch":
      return { id, name: "web_search", input: { query: item.query } };
    default:
      return undefined;
  }
}

function toolOutcome(item: Json): { output?: string; is_error: boolean } {
  const status = str(item.status);
  const exitCode = typeof item.exitCode === "number" ? item.exitCode : undefined;
  const failed = status === "failed" || status === "declined" || (exitCode !== undefined && exitCode !== 0);
  const output =
    str(item.aggregatedOutput) ??
    (item.result != null ? JSON.stringify(item.result) : undefined) ??
    (status === "declined" ? "declined" : undefined);
  return { ...(output !== undefined ? { output } : {}), is_error: failed };
}
