/**
 * The dashboard's only way to the server: the public API, with the key the user typed, kept in
 * sessionStorage (this tab only, gone when it closes). No private endpoints.
 */
const KEY = "clinvk.apiKey";

export const apiKey = {
  get: (): string => sessionStorage.getItem(KEY) ?? "",
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Listeners told when the server refuses the key (the shell asks for it again). */
export const onUnauthorized = new Set<() => void>();

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const key = apiKey.get();
  return { ...(key ? { "x-api-key": key } : {}), ...extra };
}

async function fail(response: Response): Promise<never> {
  let code = "http_error";
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401) for (const listener of onUnauthorized) listener();
  throw new ApiError(response.status, code, message);
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; alsoOk?: number[] } = {},
) {
  const response = await fetch(path, {
    method: init.method ?? "GET",
    headers: headers(init.body === undefined ? {} : { "content-type": "application/json" }),
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
  if (!response.ok && !init.alsoOk?.includes(response.status)) return fail(response);
  return (await response.json()) as T;
}

/** Lines of a streamed body, as they arrive. */
async function* lines(response: Response): AsyncGenerator<string> {
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) return;
  let buffered = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    let at = buffered.indexOf("\n");
    while (at >= 0) {
      yield buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      at = buffered.indexOf("\n");
    }
  }
  if (buffered) yield buffered;
}

/** POSTs and reads an NDJSON answer (a workflow's progress), one object at a time. */
export async function* ndjson<T>(path: string, body: unknown, signal?: AbortSignal): AsyncGenerator<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: headers({ "content-type": "application/json", accept: "application/x-ndjson" }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) await fail(response);
  for await (const line of lines(response)) if (line.trim()) yield JSON.parse(line) as T;
}

export interface SseFrame {
  id?: string;
  event: string;
  data: unknown;
}

/**
 * Reads Server-Sent Events with fetch (EventSource cannot send the key), resuming after the last
 * id it saw with Last-Event-ID.
 */
export async function* sse(path: string, signal?: AbortSignal, lastEventId?: string): AsyncGenerator<SseFrame> {
  const response = await fetch(path, {
    headers: headers({ accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) }),
    signal,
  });
  if (!response.ok) await fail(response);
  let frame: { id?: string; event?: string; data: string[] } = { data: [] };
  for await (const line of lines(response)) {
    if (line === "") {
      if (frame.data.length)
        yield { id: frame.id, event: frame.event ?? "message", data: JSON.parse(frame.data.join("\n")) };
      frame = { data: [] };
    } else if (line.startsWith("data: ")) frame.data.push(line.slice(6));
    else if (line.startsWith("id: ")) frame.id = line.slice(4);
    else if (line.startsWith("event: ")) frame.event = line.slice(7);
  }
}

export const BACKENDS = ["claude", "codex", "gemini"] as const;

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  cost_usd?: number;
}

export interface Run {
  id: string;
  state: "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted";
  backend: string;
  model?: string;
  workdir: string;
  session_id?: string;
  queue_position?: number;
  prompt_preview: string;
  created_at: string;
  duration_ms: number;
  usage?: Usage;
  error?: { code: string; message: string };
  event_count: number;
  /** With several instances sharing Redis: the one that runs it. */
  instance?: string;
}

export interface SessionSummary {
  id: string;
  backend: string;
  model?: string;
  working_dir: string;
  title?: string;
  status: string;
  turn_count: number;
  token_usage: Usage;
  tags: string[];
  parent_id?: string;
  created_at: string;
  last_used: string;
  prompt_preview?: string;
}

export interface Session extends SessionSummary {
  initial_prompt?: string;
  error_message?: string;
  metadata: Record<string, string>;
  backend_session_id?: string;
}

export interface SessionTurn {
  at: string;
  status: "success" | "error";
  error_code?: string;
  model?: string;
  duration_ms: number;
  usage?: Usage;
  prompt?: string;
  prompt_truncated?: boolean;
  answer?: string;
  answer_truncated?: boolean;
}

export interface SessionTurns {
  session_id: string;
  turn_count: number;
  turns_dropped: number;
  turns: SessionTurn[];
}

export const fmt = {
  ms: (ms: number) =>
    ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`,
  tokens: (u?: Usage) => (u ? `${u.input_tokens} in / ${u.output_tokens} out` : "–"),
  cost: (u?: Usage) => (u?.cost_usd !== undefined ? `$${u.cost_usd.toFixed(4)}` : "–"),
  short: (id: string) => id.slice(0, 8),
  age: (iso: string) => {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 60
      ? `${s}s ago`
      : s < 3600
        ? `${Math.round(s / 60)}m ago`
        : s < 86400
          ? `${Math.round(s / 3600)}h ago`
          : `${Math.round(s / 86400)}d ago`;
  },
};
