/** A conversation through the library: each send resumes the same CLI session. */
import type { RunEvent } from "../engine/events.js";
import type { RunRequest, RunResult } from "../engine/request.js";
import type { CallOptions, Clinvoker } from "./clinvoker.js";

/** Options of every turn: what a RunRequest takes, less the prompt and the session wiring. */
export type TurnOptions = Omit<RunRequest, "prompt" | "resume" | "sessionId" | "backend">;

export class ClinvokerSession {
  /** clinvoker's session id, known after the first turn (or from the start when resumed). */
  id: string | undefined;
  /** The CLI's own session id. */
  backendSessionId: string | undefined;

  constructor(
    private readonly client: Clinvoker,
    private readonly base: TurnOptions & { backend: string },
    existing?: { id: string; backendSessionId?: string },
  ) {
    this.id = existing?.id;
    this.backendSessionId = existing?.backendSessionId;
  }

  /** Sends a prompt and waits for the answer. */
  async send(prompt: string, options: TurnOptions & CallOptions = {}): Promise<RunResult> {
    let result: RunResult | undefined;
    for await (const event of this.stream(prompt, options)) if (event.type === "result") result = event;
    return result as RunResult;
  }

  /** Sends a prompt and streams the answer's events; the last one is the result. */
  async *stream(prompt: string, options: TurnOptions & CallOptions = {}): AsyncGenerator<RunEvent, void, undefined> {
    const { signal, ...turn } = options;
    const request: RunRequest = { ...this.base, ...turn, prompt };
    if (this.id) request.sessionId = this.id;
    if (this.backendSessionId) request.resume = { backendSessionId: this.backendSessionId };
    for await (const event of this.client.stream(request, { signal })) {
      if (event.session_id) this.id = event.session_id;
      if (event.type === "init" && event.backend_session_id) this.backendSessionId = event.backend_session_id;
      if (event.type === "result" && event.backend_session_id) this.backendSessionId = event.backend_session_id;
      yield event;
    }
  }
}
