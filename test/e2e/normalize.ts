// Stable placeholders for what varies between recordings of the real CLIs and says nothing about them (scratch
// dirs, ports, session and other ids, timestamps, durations): see record.ts, which explains each.

/** UUIDs that recipes of record.ts fix (gemini --session-id): kept as they are. */
export const FIXED_UUIDS = new Set(["11111111-2222-4333-8444-555555555555"]);
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
/** Where the CLIs print their session ids: claude and gemini `session_id`, codex `thread_id` and `session id:`. */
const SESSION_ID =
  /(?:"(?:session_id|thread_id)"\s*:\s*"|session id: )([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/g;

/**
 * Replaces what varies between recordings with stable placeholders. Session ids are numbered over the CLI's whole
 * run; other ids from 1 in each case (its command line first), so a change in one case does not renumber others.
 */
export class Normalizer {
  private literals: Array<[string, string]> = [];
  private sessions = new Map<string, string>();
  private readonly uuids = new Map<string, string>();
  private readonly ids = new Map<string, string>();
  private readonly epochs = new Map<string, string>();

  /** A normalizer with the same literals and sessions and fresh id numbering, for the next case. */
  fresh(): Normalizer {
    const next = new Normalizer();
    next.literals = this.literals;
    next.sessions = this.sessions;
    return next;
  }

  /** Numbers the session ids that `text` shows (where `where` finds them), in order, unless already known. */
  sessionsIn(text: string, where: RegExp = SESSION_ID): void {
    for (const match of text.matchAll(where)) {
      const id = (match[1] ?? "").toLowerCase();
      if (FIXED_UUIDS.has(id) || this.sessions.has(id)) continue;
      this.sessions.set(id, `00000000-0000-4000-a000-${String(this.sessions.size + 1).padStart(12, "0")}`);
    }
  }

  /** Replaces every occurrence of `text` with `placeholder` (longer texts first). */
  literal(text: string, placeholder: string): void {
    if (!text) return;
    this.literals.push([text, placeholder]);
    this.literals.sort((a, b) => b[0].length - a[0].length);
  }

  apply(input: string): string {
    let text = input;
    for (const [from, to] of this.literals) text = text.replaceAll(from, to);
    text = text.replace(UUID, (uuid) => {
      const key = uuid.toLowerCase();
      if (FIXED_UUIDS.has(key) || key.startsWith("00000000-0000-")) return uuid;
      let placeholder = this.sessions.get(key) ?? this.uuids.get(key);
      if (!placeholder) {
        placeholder = `00000000-0000-4000-8000-${String(this.uuids.size + 1).padStart(12, "0")}`;
        this.uuids.set(key, placeholder);
      }
      return placeholder;
    });
    // Random ids of the stub (msg_, toolu_, req_, call_, resp_, ...) and of the CLIs (request ids).
    text = text.replace(/\b(msg|toolu|req|call|resp|rs|fc|ctc|srvtoolu)_[A-Za-z0-9]{12,}\b/g, (id, prefix: string) => {
      let placeholder = this.ids.get(id);
      if (!placeholder) {
        placeholder = `${prefix}_${String(this.ids.size + 1).padStart(4, "0")}`;
        this.ids.set(id, placeholder);
      }
      return placeholder;
    });
    // ISO timestamps, also as used in file names (2026-11-20T23-00-57-755Z).
    text = text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z/g, "2000-01-01T00:00:00.000Z");
    text = text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:-\d{3})?Z?/g, (m) =>
      m.endsWith("Z") ? "2000-01-01T00-00-00-000Z" : "2000-01-01T00-00-00",
    );
    // Epoch milliseconds of today (gemini's tool ids: read_file__read_file_1795217436153_0).
    text = text.replace(/(?<!\d)1\d{12}(?!\d)/g, (ms) => {
      if (Math.abs(Number(ms) - Date.now()) > 86_400_000) return ms;
      let placeholder = this.epochs.get(ms);
      if (!placeholder) {
        placeholder = String(1_000_000_000_000 + this.epochs.size + 1);
        this.epochs.set(ms, placeholder);
      }
      return placeholder;
    });
    // Timings in JSON (claude's result, gemini's stats).
    text = text.replace(
      /("(?:duration_ms|duration_api_ms|ttft_ms|ttft_stream_ms|time_to_request_ms|totalLatencyMs|durationMs|totalDurationMs|retry_delay_ms)"\s*:\s*)\d+(?:\.\d+)?/g,
      "$10",
    );
    return text;
  }
}

/** POSIX shell quoting, for the command line in `.cmd`. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
