// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// Types shared by the provider stub (test/e2e/stub). The stub imitates the three provider APIs that the
// real `claude`, `codex` and `gemini` CLIs talk to, answers from a per-test script, and records every request.

/** Which provider API a request was addressed to. */
export type Provider = "anthropic" | "openai" | "gemini";

/** What kind of endpoint a request hit. */
export type Endpoint =
  | "messages" // Anthropic POST /v1/messages
  | "count_tokens" // Anthropic POST /v1/messages/count_tokens
  | "responses" // OpenAI POST /v1/responses
  | "generateContent" // Gemini POST /v1beta/models/<m>:generateContent
  | "streamGenerateContent" // Gemini POST /v1beta/models/<m>:streamGenerateContent
  | "probe" // HEAD / or GET / (claude's connectivity probe)
  | "unknown";

/** A tool call the model "makes" in a scripted turn; the CLI then runs the tool and sends the result back. */
export interface ToolCallSpec {
  /** Tool name as the CLI declares it: claude `Read`/`Bash`/…, gemini `read_file`/…, codex `exec`/… */
  name: string;
  /**
   * Tool input. An object becomes Anthropic `input`, Gemini `args`, or OpenAI `function_call.arguments`
   * (JSON-encoded). A string becomes an OpenAI `custom_tool_call.input` (freeform tools such as codex's `exec`);
   * for Anthropic/Gemini a string is JSON-parsed.
   */
  input: unknown;
  /** Tool-call id; generated when omitted (toolu_…, call_…). */
  id?: string;
  /**
   * OpenAI only: the `namespace` of a `function_call` for a tool declared inside a `{type: "namespace"}` tool group
   * (codex declares an MCP server's tools as namespace `mcp__<server>` with bare names, e.g. `get_weather`).
   */
  namespace?: string;
  /** OpenAI only: force `function_call` or `custom_tool_call` (default: string input → custom, else function). */
  kind?: "function" | "custom";
}

/** Token counts reported for a scripted turn. Missing numbers are estimated from the request/reply size. */
export interface UsageSpec {
  inputTokens?: number;
  outputTokens?: number;
  /** Prompt-cache reads (Anthropic cache_read_input_tokens, OpenAI cached_tokens, Gemini cachedContentTokenCount). */
  cachedTokens?: number;
  /** Prompt-cache writes (Anthropic cache_creation_input_tokens, OpenAI input_tokens_details.cache_write_tokens). */
  cacheCreationTokens?: number;
  /** Reasoning/thinking tokens (OpenAI reasoning_tokens, Gemini thoughtsTokenCount). */
  reasoningTokens?: number;
}

/** An HTTP error answer. The body imitates the provider's real error JSON. */
export interface ErrorSpec {
  status: number;
  /** Overrides the provider's default message for that status. */
  message?: string;
  /** Overrides the error type (Anthropic `error.type`, OpenAI `error.type`, Gemini `error.status`). */
  type?: string;
  /** Seconds, sent as the `retry-after` header (defaults to 1 for 429 and 529). */
  retryAfter?: number;
}

/** Stop a stream part-way: after this many SSE events (default: just after the first text/tool delta). */
export interface MidStreamSpec {
  afterEvents: number;
}

/**
 * One scripted answer. Content fields describe the reply; matching fields decide which request it answers;
 * fault fields make the answer misbehave.
 */
export interface ScriptedTurn {
  // ---- content ---- (a turn with neither text nor tool calls gets the default reply)
  /** Assistant text. With a tool call, the text comes first (claude shows it as a separate block). */
  text?: string;
  /** One tool call. */
  toolCall?: ToolCallSpec;
  /** Several tool calls in the same turn (after `toolCall`, if both are given). */
  toolCalls?: ToolCallSpec[];
  /** Token counts; estimated when missing (about 4 bytes of request per input token). */
  usage?: UsageSpec;
  /** Override the stop/finish reason (defaults: end_turn/tool_use, STOP, completed). */
  stopReason?: string;
  /** Characters per text delta (default: the text is split into about three deltas on word boundaries). */
  chunkSize?: number;
  /** Reply with this exact JSON body instead of building one (non-streaming requests only). */
  rawJson?: unknown;

  // ---- matching ----
  /** Only answer requests to this provider (default: any provider). */
  provider?: Provider;
  /** Answer side calls (gemini router, claude title generation, …) instead of main calls. Default false. */
  side?: boolean;
  /** Only answer requests whose model name contains this string. */
  model?: string;
  /** How many requests this turn answers before it is used up (default 1; `Infinity` or "always" = forever). */
  times?: number | "always";

  // ---- faults ----
  /** Milliseconds to wait before the response headers / first byte. */
  delayMs?: number;
  /** Milliseconds to wait between SSE events (slow stream). */
  chunkDelayMs?: number;
  /** Answer with an HTTP error. A number is shorthand for `{ status }`. */
  error?: number | ErrorSpec;
  /** Close the socket mid-stream (`true`: right after the first content delta). */
  drop?: boolean | MidStreamSpec;
  /** Never finish: `true` never sends anything; `{afterEvents}` stalls the stream after that many events. */
  hang?: boolean | MidStreamSpec;
}

/** A turn or a plain string (shorthand for `{ text }`). */
export type TurnInput = ScriptedTurn | string;

/** A tool result the CLI sent back to the model, extracted from the request body. */
export interface ToolResult {
  /** Tool-call id (Anthropic tool_use_id, OpenAI call_id, Gemini functionResponse.id) when present. */
  id?: string;
  /** Tool name when the wire format carries it (Gemini). */
  name?: string;
  /** The result as text (JSON-encoded when the result is structured). */
  output: string;
}

/** One request as the stub received it. */
export interface RecordedRequest {
  /** 1-based sequence number. */
  n: number;
  time: string;
  method: string;
  /** Path including the query string, as sent. */
  path: string;
  provider: Provider | null;
  endpoint: Endpoint;
  model: string | null;
  stream: boolean;
  /** True for side calls (gemini router / other JSON utility calls, claude title generation, count_tokens). */
  side: boolean;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (undefined when there was none or it was not JSON). */
  body: any;
  /** The raw body size in bytes. */
  bytes: number;
  /** Text of the last real user message (system reminders, environment context and tool results skipped). */
  userText: string;
  /** Every tool result in the conversation the CLI sent, oldest first. */
  toolResults: ToolResult[];
  /** HTTP status the stub answered with (0 while still pending or for a hang/drop before headers). */
  status: number;
  /** The scripted turn that answered this request, or null when the default reply was used. */
  turn: ScriptedTurn | null;
  /** What the stub answered: the text, `tool:<name>` for tool calls, or null for errors. */
  reply: string | null;
  /** What happened to the answer: completed normally, error status, dropped, or hung. */
  outcome: "ok" | "error" | "dropped" | "hung" | "aborted" | "pending";
  /** When each streamed event with content (a text or tool delta) was written, in `Date.now()` ms. */
  contentSentAt: number[];
}
