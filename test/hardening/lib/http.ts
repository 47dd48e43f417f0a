// biome-ignore-all lint/suspicious/noExplicitAny: response bodies are read loosely.
/** HTTP helpers: requests with a hard time limit, SSE and NDJSON parsing, raw requests over a socket. */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
  ms: number;
}

/** A request that took longer than its limit: a hang, as far as the suite is concerned. */
export class HangError extends Error {}

export async function send(
  url: string,
  options: {
    method?: string;
    body?: unknown;
    /** Sent as is (not JSON-encoded). */
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<Reply> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined = options.rawBody;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: options.method ?? (body === undefined ? "GET" : "POST"),
      headers,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if ((error as Error).name === "TimeoutError") {
      throw new HangError(`${options.method ?? "request"} ${url} took longer than ${timeoutMs} ms`);
    }
    throw error;
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    text,
    json,
    ms: performance.now() - started,
  };
}

export interface SseFrame {
  event?: string;
  data: any;
}

export function parseSse(text: string): SseFrame[] {
  return text
    .split(/\n\n/)
    .filter((frame) => /^data:/m.test(frame))
    .map((frame) => {
      const event = /^event: ?(.*)$/m.exec(frame)?.[1];
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.replace(/^data: ?/, ""))
        .join("\n");
      let parsed: unknown = data;
      try {
        parsed = JSON.parse(data);
      } catch {
        // [DONE] and the like
      }
      return { event, data: parsed };
    });
}

export function parseNdjson(text: string): any[] {
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

export interface StreamHandle {
  /** Status and headers, once they came. */
  response: Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>;
  /** Everything received so far. */
  received(): string;
  /** Resolves at the first body bytes. */
  firstData: Promise<void>;
  /** Resolves when the response ended, the socket closed, or it was destroyed. */
  done: Promise<{ complete: boolean; error?: string }>;
  /** The client goes away: the socket is destroyed mid-response. */
  destroy(): void;
}

/** A POST whose response is read as it comes, so that the client can vanish at any moment. */
export function openStream(url: string, body: unknown, headers: Record<string, string> = {}): StreamHandle {
  const target = new URL(url);
  let text = "";
  let resolveFirst: () => void = () => {};
  const firstData = new Promise<void>((resolve) => {
    resolveFirst = resolve;
  });
  let finish: (value: { complete: boolean; error?: string }) => void = () => {};
  const done = new Promise<{ complete: boolean; error?: string }>((resolve) => {
    finish = resolve;
  });
  let resolveResponse: (value: { status: number; headers: Record<string, string | string[] | undefined> }) => void =
    () => {};
  let rejectResponse: (error: Error) => void = () => {};
  const response = new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>(
    (resolve, reject) => {
      resolveResponse = resolve;
      rejectResponse = reject;
    },
  );
  response.catch(() => {});
  const payload = JSON.stringify(body);
  const req = httpRequest(
    {
      host: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      method: "POST",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers },
      agent: false,
    },
    (res) => {
      resolveResponse({ status: res.statusCode ?? 0, headers: res.headers });
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        resolveFirst();
      });
      res.on("end", () => finish({ complete: true }));
      res.on("error", (error) => finish({ complete: false, error: error.message }));
      res.on("close", () => finish({ complete: res.complete }));
    },
  );
  req.on("error", (error) => {
    rejectResponse(error);
    finish({ complete: false, error: error.message });
  });
  req.end(payload);
  return {
    response,
    received: () => text,
    firstData,
    done,
    destroy: () => {
      req.destroy();
      finish({ complete: false, error: "destroyed by the client" });
    },
  };
}

/**
 * Sends `head` (request line and headers, CRLF-separated, without the final blank line) and `body` over a plain
 * socket, and returns the status code (0 when the server closed without answering) and the raw answer.
 */
export function rawRequest(
  url: string,
  head: string,
  body = "",
  timeoutMs = 15_000,
): Promise<{ status: number; raw: string; closedWithoutAnswer: boolean }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: target.hostname, port: Number(target.port) });
    let raw = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new HangError(`raw request to ${url} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      raw += chunk;
    });
    const end = () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
      resolve({ status, raw, closedWithoutAnswer: raw.length === 0 });
    };
    socket.on("close", end);
    socket.on("error", () => {
      // ECONNRESET after the server answered and closed: the answer (if any) is in `raw`.
    });
    socket.on("connect", () => {
      socket.write(`${head}\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`);
      if (body) socket.write(body);
    });
  });
}
