/**
 * The runs that wait for their client's tool results, found by the ids of their calls. A run waits
 * for as long as the server allows (`server.tool_wait_secs`); then it is stopped and its calls'
 * ids are remembered for a while, so that a late result continues the conversation from its session
 * with the result as context, while a result for a call this server never made is refused.
 */
import type { LiveTurn, PendingCall } from "./live-turn.js";

interface Waiting {
  turn: LiveTurn;
  calls: PendingCall[];
  /** Who may continue it: the surface and the caller's key (or address). */
  owner: string;
  timer: NodeJS.Timeout;
}

/** Ids of calls whose run stopped waiting, kept so that late results are recognized; bounded. */
const EXPIRED_LIMIT = 10_000;

export class ToolRuns {
  private readonly byCall = new Map<string, Waiting>();
  private readonly expired = new Set<string>();

  constructor(private readonly waitMs: () => number) {}

  /** The turn ended its response with these calls: it waits for their results. */
  park(turn: LiveTurn, calls: PendingCall[], owner: string): void {
    const waiting: Waiting = {
      turn,
      calls,
      owner,
      timer: setTimeout(() => this.expire(waiting), this.waitMs()),
    };
    waiting.timer.unref();
    for (const call of calls) this.byCall.set(call.id, waiting);
  }

  /**
   * The waiting run that these results answer, taken out of waiting; `missing` names its calls the
   * results leave unanswered (the caller refuses the request then, and the run keeps waiting).
   */
  claim(
    ids: readonly string[],
    owner: string,
  ): { turn: LiveTurn; calls: PendingCall[]; missing: string[] } | undefined {
    const waiting = ids.map((id) => this.byCall.get(id)).find((found) => found !== undefined);
    if (!waiting || waiting.owner !== owner) return undefined;
    const missing = waiting.calls.filter((call) => !ids.includes(call.id)).map((call) => call.id);
    if (missing.length > 0) return { turn: waiting.turn, calls: waiting.calls, missing };
    this.release(waiting);
    return { turn: waiting.turn, calls: waiting.calls, missing };
  }

  /** Calls among these ids that wait for results right now. */
  waitingAmong(ids: readonly string[]): string[] {
    return ids.filter((id) => this.byCall.has(id));
  }

  /** Whether the call was made by a run that stopped waiting for it. */
  hasExpired(id: string): boolean {
    return this.expired.has(id);
  }

  /** Stops every waiting run (the server is closing). */
  stopAll(): void {
    for (const waiting of new Set(this.byCall.values())) this.expire(waiting);
  }

  private release(waiting: Waiting): void {
    clearTimeout(waiting.timer);
    for (const call of waiting.calls) this.byCall.delete(call.id);
  }

  private expire(waiting: Waiting): void {
    this.release(waiting);
    for (const call of waiting.calls) {
      this.expired.add(call.id);
      if (this.expired.size > EXPIRED_LIMIT) this.expired.delete(this.expired.values().next().value as string);
    }
    waiting.turn.abort();
    // The run ends with its abort; the turn gives its session back, with what the CLI recorded.
    void waiting.turn.finish();
  }
}
