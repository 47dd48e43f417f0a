/**
 * Every run the engine starts, from any face, while it is queued, running and a while after: its
 * state, backend, model, workdir, queue position, duration, tokens and cost, and the last of its
 * events, so that a dashboard or a client that reconnects can follow it, and a run can be cancelled
 * by id. `RunTracker` is the interface; `MemoryRunTracker` keeps one process's runs (a Redis-backed
 * tracker can replace it for many instances). Everything it keeps is bounded.
 */
import { randomBytes } from "node:crypto";
import type { BackendName } from "../core/backend-names.js";
import type { ErrorInfo } from "../core/errors.js";
import type { RunEvent, Usage } from "../core/events.js";
import type { RunResult } from "../core/request.js";

export const RUN_STATES = ["queued", "running", "succeeded", "failed", "cancelled", "interrupted"] as const;
export type RunState = (typeof RUN_STATES)[number];

/** What is known of one run. */
export interface RunRecord {
  id: string;
  state: RunState;
  backend: BackendName;
  model?: string;
  workdir: string;
  /** clinvoker's session, once the run has one. */
  session_id?: string;
  /** Place in the admission queue while queued (1: next). */
  queue_position?: number;
  /** The prompt's first characters. */
  prompt_preview: string;
  created_at: string;
  started_at?: string;
  finished_at?: string;
  /** Time from creation to the end, or to now while the run goes on. */
  duration_ms: number;
  usage?: Usage;
  error?: Pick<ErrorInfo, "code" | "message">;
  /** Events seen so far (the buffer keeps the last of them). */
  event_count: number;
  /** With Redis: the instance that runs it, once one has taken it. */
  instance?: string;
}

export interface BufferedEvent {
  /** The event's place in its run (its `seq`): the SSE id. */
  id: number;
  event: RunEvent;
}

export interface RunStart {
  /** The id to record the run under (a run another instance queued); a new one by default. */
  id?: string;
  backend: BackendName;
  model?: string;
  workdir: string;
  prompt: string;
}

/** The engine's side of one tracked run. */
export interface TrackedRun {
  readonly id: string;
  /** Aborted when someone cancels the run. */
  readonly signal: AbortSignal;
  /** Aborted when someone interrupts the run (its turn stops, its conversation stays). */
  readonly interrupt: AbortSignal;
  event(event: RunEvent): void;
  /**
   * The run ended: with its result, or with the error that stopped it before one (a full queue, an
   * open circuit); with neither, its consumer abandoned it (counted as cancelled).
   */
  finish(result?: RunResult, failure?: ErrorInfo): void;
}

export interface RunListFilter {
  state?: RunState;
  backend?: BackendName;
  limit?: number;
}

/** What a follower of a run is told: an event, or the run's end. */
export type RunMessage = BufferedEvent | { end: RunRecord };

export type RunListener = (message: RunMessage) => void;

export const inFlight = (run: RunRecord): boolean => run.state === "queued" || run.state === "running";

/** A run's record as it ends without a result of its own (refused, cancelled, its instance lost). */
export function endedRecord(
  record: RunRecord,
  state: RunState,
  error: Pick<ErrorInfo, "code" | "message">,
  now = Date.now(),
): RunRecord {
  const { queue_position: _waiting, ...rest } = record;
  return {
    ...rest,
    state,
    error: { code: error.code, message: error.message },
    finished_at: new Date(now).toISOString(),
    duration_ms: Math.max(0, now - Date.parse(record.created_at)),
  };
}

export interface RunTracker {
  begin(start: RunStart): TrackedRun;
  list(filter?: RunListFilter): RunRecord[];
  get(id: string): RunRecord | undefined;
  /** Buffered events after `afterId` (all with -1); undefined for an unknown run. */
  events(id: string, afterId?: number): BufferedEvent[] | undefined;
  /** Follows a run's new events and its end; returns the unsubscribe. Undefined for an unknown run. */
  subscribe(id: string, listener: RunListener): (() => void) | undefined;
  /** Cancels a queued or running run: true if it was, false if it had ended, undefined if unknown. */
  cancel(id: string): boolean | undefined;
  /** Interrupts a running run: true if it was asked to stop, false if it had ended, undefined if unknown. */
  interrupt(id: string): boolean | undefined;
}

export interface MemoryRunTrackerOptions {
  /** Finished runs kept (the oldest go first). */
  maxFinished?: number;
  /** Events kept per run (the oldest go first). */
  maxEvents?: number;
  /** Bytes of event JSON kept per run (the oldest go first). */
  maxEventBytes?: number;
  /** Bytes of event JSON kept across all runs: past it, the oldest finished runs lose their events. */
  maxTotalBytes?: number;
  now?: () => number;
}

export const RUN_ID_PATTERN = "^[a-f0-9]{32}$";
const PREVIEW_CHARS = 200;

/** The record of a run that has just been queued. */
export function newRunRecord(id: string, start: RunStart, created: number): RunRecord {
  return {
    id,
    state: "queued",
    backend: start.backend,
    ...(start.model ? { model: start.model } : {}),
    workdir: start.workdir,
    prompt_preview: start.prompt.slice(0, PREVIEW_CHARS),
    created_at: new Date(created).toISOString(),
    duration_ms: 0,
    event_count: 0,
  };
}

interface Entry {
  record: RunRecord;
  created: number;
  ended?: number;
  buffer: { item: BufferedEvent; bytes: number }[];
  bytes: number;
  controller: AbortController;
  interrupter: AbortController;
  listeners: Set<RunListener>;
}

export class MemoryRunTracker implements RunTracker {
  private readonly runs = new Map<string, Entry>();
  private readonly maxFinished: number;
  private readonly maxEvents: number;
  private readonly maxEventBytes: number;
  private readonly maxTotalBytes: number;
  private readonly now: () => number;

  constructor(options: MemoryRunTrackerOptions = {}) {
    this.maxFinished = options.maxFinished ?? 200;
    this.maxEvents = options.maxEvents ?? 2000;
    this.maxEventBytes = options.maxEventBytes ?? 2 * 1024 * 1024;
    this.maxTotalBytes = options.maxTotalBytes ?? 64 * 1024 * 1024;
    this.now = options.now ?? Date.now;
  }

  begin(start: RunStart): TrackedRun {
    const id = start.id ?? randomBytes(16).toString("hex");
    const created = this.now();
    const entry: Entry = {
      record: newRunRecord(id, start, created),
      created,
      buffer: [],
      bytes: 0,
      controller: new AbortController(),
      interrupter: new AbortController(),
      listeners: new Set(),
    };
    this.runs.set(id, entry);
    return {
      id,
      signal: entry.controller.signal,
      interrupt: entry.interrupter.signal,
      event: (event) => this.record(entry, event),
      finish: (result, failure) => this.finish(entry, result, failure),
    };
  }

  list(filter: RunListFilter = {}): RunRecord[] {
    const records: RunRecord[] = [];
    // Newest first.
    for (const entry of [...this.runs.values()].reverse()) {
      const record = this.snapshot(entry);
      if (filter.state && record.state !== filter.state) continue;
      if (filter.backend && record.backend !== filter.backend) continue;
      records.push(record);
      if (filter.limit && records.length >= filter.limit) break;
    }
    return records;
  }

  get(id: string): RunRecord | undefined {
    const entry = this.runs.get(id);
    return entry && this.snapshot(entry);
  }

  events(id: string, afterId = -1): BufferedEvent[] | undefined {
    const entry = this.runs.get(id);
    return entry?.buffer.filter((b) => b.item.id > afterId).map((b) => b.item);
  }

  subscribe(id: string, listener: RunListener): (() => void) | undefined {
    const entry = this.runs.get(id);
    if (!entry) return undefined;
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }

  cancel(id: string): boolean | undefined {
    const entry = this.runs.get(id);
    if (!entry) return undefined;
    if (entry.ended !== undefined) return false;
    entry.controller.abort();
    return true;
  }

  interrupt(id: string): boolean | undefined {
    const entry = this.runs.get(id);
    if (!entry) return undefined;
    if (entry.ended !== undefined) return false;
    entry.interrupter.abort();
    return true;
  }

  private record(entry: Entry, event: RunEvent): void {
    if (entry.ended !== undefined) return;
    const record = entry.record;
    record.event_count++;
    if (event.session_id) record.session_id = event.session_id;
    switch (event.type) {
      case "queued":
        record.queue_position = event.position;
        break;
      case "start":
        record.state = "running";
        delete record.queue_position;
        record.started_at = new Date(this.now()).toISOString();
        if (event.model) record.model = event.model;
        break;
      case "usage":
        record.usage = { ...event.usage };
        break;
    }
    const item: BufferedEvent = { id: event.seq, event };
    const bytes = JSON.stringify(event).length;
    entry.buffer.push({ item, bytes });
    entry.bytes += bytes;
    while (entry.buffer.length > 1 && (entry.buffer.length > this.maxEvents || entry.bytes > this.maxEventBytes))
      entry.bytes -= entry.buffer.shift()?.bytes ?? 0;
    this.tell(entry, item);
  }

  private finish(entry: Entry, result: RunResult | undefined, failure: ErrorInfo | undefined): void {
    if (entry.ended !== undefined) return;
    entry.ended = this.now();
    const record = entry.record;
    delete record.queue_position;
    if (result) {
      record.usage = { ...result.usage };
      if (result.model) record.model = result.model;
      if (result.session_id) record.session_id = result.session_id;
      if (result.error) record.error = { code: result.error.code, message: result.error.message };
    }
    if (failure) record.error = { code: failure.code, message: failure.message };
    const code = record.error?.code;
    record.state =
      code === "cancelled" || (!result && !failure)
        ? "cancelled"
        : code === "interrupted"
          ? "interrupted"
          : result?.status === "success"
            ? "succeeded"
            : "failed";
    record.finished_at = new Date(entry.ended).toISOString();
    record.duration_ms = entry.ended - entry.created;
    const end = this.snapshot(entry);
    this.tell(entry, { end });
    entry.listeners.clear();
    this.prune();
  }

  private tell(entry: Entry, message: RunMessage): void {
    for (const listener of entry.listeners) {
      try {
        listener(message);
      } catch {
        // A listener's failure is not the run's.
      }
    }
  }

  private snapshot(entry: Entry): RunRecord {
    const duration = (entry.ended ?? this.now()) - entry.created;
    return {
      ...entry.record,
      duration_ms: duration,
      ...(entry.record.usage ? { usage: { ...entry.record.usage } } : {}),
    };
  }

  private prune(): void {
    let finished = 0;
    let bytes = 0;
    for (const entry of this.runs.values()) {
      if (entry.ended !== undefined) finished++;
      bytes += entry.bytes;
    }
    for (const [id, entry] of this.runs) {
      if (finished <= this.maxFinished && bytes <= this.maxTotalBytes) break;
      if (entry.ended === undefined) continue;
      bytes -= entry.bytes;
      if (finished > this.maxFinished) {
        this.runs.delete(id);
        finished--;
      } else {
        // Kept as a record, without its events.
        entry.buffer = [];
        entry.bytes = 0;
      }
    }
  }
}
