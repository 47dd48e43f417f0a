/**
 * Runs: every run in flight and recently finished, live; one opened shows its events and can be
 * interrupted (its turn stops, its session stays) or cancelled.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, fmt, type Run, sse } from "../api.js";

const LIVE = new Set(["queued", "running"]);
const MAX_SHOWN_EVENTS = 500;

interface ShownEvent {
  id?: string;
  type: string;
  summary: string;
}

function summarize(type: string, data: Record<string, unknown>): string {
  switch (type) {
    case "text":
    case "thinking":
      return String(data.text ?? "");
    case "tool_call":
      return `${data.name} ${JSON.stringify(data.input ?? {}).slice(0, 200)}`;
    case "tool_result":
      return `${data.name ?? ""} ${data.is_error ? "failed" : "done"}: ${String(data.output ?? "").slice(0, 200)}`;
    case "error":
      return `${(data.error as { code?: string })?.code}: ${(data.error as { message?: string })?.message}`;
    case "queued":
      return `position ${data.position}`;
    case "start":
      return `${data.model ?? "default model"} in ${data.workdir}`;
    case "result":
      return `${data.status} after ${fmt.ms(Number(data.duration_ms ?? 0))}`;
    case "usage":
      return fmt.tokens(data.usage as Run["usage"]);
    case "end":
      return `run ${(data as unknown as Run).state}`;
    default:
      return JSON.stringify(data).slice(0, 200);
  }
}

function RunDetail({ run, onClose }: { run: Run; onClose: () => void }) {
  const [events, setEvents] = useState<ShownEvent[]>([]);
  const [error, setError] = useState("");
  const [stopping, setStopping] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  useEffect(() => {
    heading.current?.focus();
    const controller = new AbortController();
    let last: string | undefined;
    let ended = false;
    setEvents([]);
    const follow = async () => {
      // Reconnects after a dropped stream, asking only for what it missed.
      for (let attempt = 0; attempt < 5 && !ended && !controller.signal.aborted; attempt++) {
        try {
          for await (const frame of sse(`/api/v1/runs/${run.id}/events`, controller.signal, last)) {
            if (frame.id) last = frame.id;
            if (frame.event === "end") ended = true;
            const shown = {
              id: frame.id,
              type: frame.event,
              summary: summarize(frame.event, frame.data as Record<string, unknown>),
            };
            setEvents((list) => [...list, shown].slice(-MAX_SHOWN_EVENTS));
          }
          if (ended) return;
        } catch (e) {
          if (controller.signal.aborted) return;
          setError((e as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    void follow();
    return () => controller.abort();
  }, [run.id]);

  const stop = async (how: "cancel" | "interrupt") => {
    setStopping(true);
    try {
      await api(`/api/v1/runs/${run.id}/${how}`, { method: "POST" });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setStopping(false);
    }
  };

  return (
    <section class="card detail" aria-labelledby="run-title">
      <div class="row">
        <h2 id="run-title" tabIndex={-1} ref={heading}>
          Run {fmt.short(run.id)} <span class={`badge ${run.state}`}>{run.state}</span>
        </h2>
        <span class="grow" />
        {LIVE.has(run.state) && (
          <>
            <button
              type="button"
              onClick={() => stop("interrupt")}
              disabled={stopping}
              title="Stop this turn and keep the session: its next prompt goes on from here"
            >
              Interrupt
            </button>
            <button type="button" class="danger" onClick={() => stop("cancel")} disabled={stopping}>
              Cancel run
            </button>
          </>
        )}
        <button type="button" onClick={onClose} aria-keyshortcuts="Escape">
          Close
        </button>
      </div>
      <p class="muted">
        {run.backend} {run.model ?? ""} · {run.workdir}
        {run.instance && ` · on instance ${run.instance}`}
        {run.session_id && (
          <>
            {" "}
            · session <a href={`#/sessions/${run.session_id}`}>{fmt.short(run.session_id)}</a>
          </>
        )}
      </p>
      <p class="prompt">{run.prompt_preview}</p>
      {run.error && <p class="error">{`${run.error.code}: ${run.error.message}`}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ol class="events" aria-label="Events" aria-live="polite">
        {events.map((e, i) => (
          <li key={`${e.id ?? "x"}-${i}`} class={`event ${e.type}`}>
            <span class="event-type">{e.type}</span> <span class="event-text">{e.summary}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function RunsPage() {
  const [runs, setRuns] = useState<Run[]>([]);
  const [error, setError] = useState("");
  const [open, setOpen] = useState<string>();
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      try {
        const page = await api<{ runs: Run[] }>("/api/v1/runs?limit=200");
        if (!stopped) {
          setRuns(page.runs);
          setError("");
        }
      } catch (e) {
        if (!stopped) setError((e as Error).message);
      }
    };
    void load();
    const timer = setInterval(load, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  const opened = runs.find((r) => r.id === open);
  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {opened && <RunDetail run={opened} onClose={() => setOpen(undefined)} />}
      {runs.length === 0 ? (
        <p class="muted">No runs yet. Start one from Compare, a session, or any API client.</p>
      ) : (
        <div class="table-wrap">
          <table class="runs">
            <thead>
              <tr>
                <th>Run</th>
                <th>State</th>
                <th>Backend</th>
                <th class="wide">Prompt</th>
                <th>Duration</th>
                <th>Tokens</th>
                <th>Cost</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => (
                <tr
                  key={run.id}
                  class={run.id === open ? "selected" : undefined}
                  data-run={run.id}
                  data-state={run.state}
                >
                  <td>
                    <button
                      type="button"
                      class="link"
                      onClick={() => setOpen(run.id)}
                      aria-label={`Open run ${fmt.short(run.id)}`}
                    >
                      {fmt.short(run.id)}
                    </button>
                  </td>
                  <td>
                    <span class={`badge ${run.state}`}>{run.state}</span>
                    {run.queue_position !== undefined && <span class="muted"> #{run.queue_position}</span>}
                  </td>
                  <td>
                    {run.backend}
                    {run.model && <span class="muted"> {run.model}</span>}
                  </td>
                  <td class="wide ellipsis" title={run.workdir}>
                    {run.prompt_preview}
                  </td>
                  <td>{fmt.ms(run.duration_ms)}</td>
                  <td>{fmt.tokens(run.usage)}</td>
                  <td>{fmt.cost(run.usage)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
