/** A conversation through the library: each send resumes the same CLI session. */
import type { RunEvent } from "../core/events.js";
import type { RunRequest, RunResult } from "../core/request.js";
import { sessionRequest } from "../engine/session-requests.js";
import type { Session } from "../sessions/session.js";

export interface CallOptions {
  /** Cancels: the CLI is killed, and the call rejects with `cancelled`. */
  signal?: AbortSignal;
  /**
   * Interrupts: the turn stops and ends as `interrupted` (a result, not a rejection); a live run's
   * process and conversation stay, so the next prompt continues it.
   */
  interrupt?: AbortSignal;
}

/** Options of every turn: what a RunRequest takes, less the prompt and the session wiring. */
export type TurnOptions = Omit<RunRequest, "prompt" | "resume" | "sessionId" | "backend">;

/** What a conversation needs of its client: runs, and (with a store) the sessions they keep. */
export interface SessionTurns {
  stream(request: RunRequest, options: CallOptions): AsyncIterable<RunEvent>;
  /** The stored session; undefined for a client that keeps none. */
  load?(id: string): Promise<Session>;
}

export class ClinvokerSession {
  /** clinvoker's session id, known after the first turn (or from the start when resumed). */
  id: string | undefined;
  /** The CLI's own session id. */
  backendSessionId: string | undefined;

  constructor(
    private readonly client: SessionTurns,
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
    const { signal, interrupt, ...turn } = options;
    const request = await this.request({ ...this.base, ...turn, prompt });
    for await (const event of this.client.stream(request, { signal, interrupt })) {
      if (event.session_id) this.id = event.session_id;
      if (event.type === "init" && event.backend_session_id) this.backendSessionId = event.backend_session_id;
      if (event.type === "result" && event.backend_session_id) this.backendSessionId = event.backend_session_id;
      yield event;
    }
  }

  /**
   * The next turn, built as every face builds it from a stored session (its backend, directory and
   * model; a session its CLI never started is an error, not a fresh conversation); without a store,
   * from the CLI's session id the last turn reported.
   */
  private async request(turn: RunRequest): Promise<RunRequest> {
    if (this.id && this.client.load) return sessionRequest(await this.client.load(this.id), turn);
    return this.backendSessionId ? { ...turn, resume: { backendSessionId: this.backendSessionId } } : turn;
  }
}
