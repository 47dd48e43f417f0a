// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// The interface each provider imitation implements. The server (server.ts) owns timing and faults; an adapter
// only knows its wire format: how to read a request, and which SSE events / JSON / error body to send.
import type { Endpoint, ErrorSpec, Provider, ToolCallSpec, ToolResult } from "./types.js";
import type { FullUsage } from "./util.js";

/** What an adapter learned from a request. */
export interface Inspection {
  endpoint: Endpoint;
  model: string | null;
  stream: boolean;
  side: boolean;
  userText: string;
  toolResults: ToolResult[];
}

/** A fully resolved answer: text, tool calls with ids, usage with every number. */
export interface ReplyPlan {
  model: string;
  text: string;
  toolCalls: Array<ToolCallSpec & { id: string }>;
  usage: FullUsage;
  stopReason?: string;
  chunkSize?: number;
}

/** One SSE event. `content` marks text/tool deltas (the default point where `drop`/`hang` cut a stream). */
export interface SseEvent {
  event?: string;
  data: unknown;
  content?: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface ProviderAdapter {
  readonly provider: Provider;
  /** Whether this adapter serves the path (path without the query string). */
  matches(pathname: string): boolean;
  inspect(pathname: string, search: string, body: any): Inspection;
  /** Fresh tool-call id in the provider's style. */
  toolCallId(): string;
  /** Text for a side call with no scripted turn (e.g. JSON satisfying the requested schema). */
  defaultSideText(body: any): string;
  /** Extra response headers for successful answers (request ids, …). */
  headers(): Record<string, string>;
  streamEvents(plan: ReplyPlan, inspection: Inspection, body: any): SseEvent[];
  /** Serialises one SSE event. */
  formatEvent(event: SseEvent): string;
  jsonBody(plan: ReplyPlan, inspection: Inspection, body: any): unknown;
  error(spec: ErrorSpec): HttpAnswer;
}
