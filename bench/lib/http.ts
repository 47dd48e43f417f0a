/** A minimal HTTP client for the benchmarks: Server-Sent Events with arrival times, and small JSON calls. */
import { request } from "node:http";

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const wallClock = () => performance.timeOrigin + performance.now();

export interface SseFrame {
  event?: string;
  data: string;
  /** wallClock() when the chunk holding the frame's end arrived. */
  at: number;
}

export interface SseResponse {
  status: number;
  frames: SseFrame[];
  /** wallClock() when the request was sent, at the first byte of the response, and at its end. */
  sentAt: number;
  firstByteAt: number;
  endAt: number;
  body: string;
}

/** POSTs JSON and reads the answer as SSE (any other answer ends up in `body`). */
export function postSse(
  url: string,
  body: unknown,
  options: { timeoutMs?: number; onFrame?: (frame: SseFrame) => void } = {},
): Promise<SseResponse> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const frames: SseFrame[] = [];
    let firstByteAt = 0;
    let buffer = "";
    let text = "";
    const req = request(url, {
      method: "POST",
      agent: false,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(payload),
        accept: "text/event-stream",
      },
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no complete answer within ${options.timeoutMs} ms`)),
      options.timeoutMs ?? 60_000,
    );
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on("response", (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const at = wallClock();
        if (firstByteAt === 0) firstByteAt = at;
        if (text.length < 100_000) text += chunk;
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const raw = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = { data: "", at };
          const data: string[] = [];
          for (const line of raw.split("\n")) {
            if (line.startsWith("event:")) frame.event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
          }
          if (data.length > 0) {
            frame.data = data.join("\n");
            frames.push(frame);
            options.onFrame?.(frame);
          }
          end = buffer.indexOf("\n\n");
        }
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, frames, sentAt, firstByteAt, endAt: wallClock(), body: text });
      });
      res.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    const sentAt = wallClock();
    req.end(payload);
  });
}

/** GETs JSON. */
export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}
