/**
 * Sessions: filters (backend, status, tag, workdir, age) and the server's search (`q`: titles, tags,
 * workdirs, prompts); one session's details and turns, a prompt box to resume it, tags, fork, and
 * delete with confirmation.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, BACKENDS, fmt, type Session, type SessionSummary, type SessionTurns } from "../api.js";
import { Turns } from "./turns.js";

const STATUSES = ["active", "completed", "error", "paused"];
const AGES: Record<string, number> = { any: 0, "1 hour": 3600e3, "1 day": 86400e3, "1 week": 7 * 86400e3 };

interface Filters {
  backend: string;
  status: string;
  tag: string;
  workdir: string;
  age: string;
  search: string;
}

const sessionFromHash = () => /^#\/sessions\/([a-f0-9]{32})/.exec(location.hash)?.[1];

function SessionDetail({ id, onChanged, onGone }: { id: string; onChanged: () => void; onGone: () => void }) {
  const [session, setSession] = useState<Session>();
  const [turns, setTurns] = useState<SessionTurns>();
  const [error, setError] = useState("");
  const [prompt, setPrompt] = useState("");
  const [answer, setAnswer] = useState<{ output?: string; error?: string; duration_ms?: number }>();
  const [busy, setBusy] = useState(false);
  const [tag, setTag] = useState("");
  const [confirming, setConfirming] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const load = () =>
    Promise.all([api<Session>(`/api/v1/sessions/${id}`), api<SessionTurns>(`/api/v1/sessions/${id}/turns`)]).then(
      ([s, t]) => {
        setSession(s);
        setTurns(t);
        setError("");
      },
      (e: Error) => setError(e.message),
    );
  useEffect(() => {
    setAnswer(undefined);
    setConfirming(false);
    void load().then(() => heading.current?.focus());
  }, [id]);
  const act = async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError("");
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  if (!session) return error ? <p class="error">{error}</p> : <p class="muted">Loading session…</p>;
  return (
    <section class="card detail" aria-labelledby="session-title">
      <div class="row">
        <h2 id="session-title" tabIndex={-1} ref={heading}>
          {session.title || `Session ${fmt.short(session.id)}`}{" "}
          <span class={`badge ${session.status}`}>{session.status}</span>
        </h2>
        <span class="grow" />
        <a class="button" href="#/sessions">
          Close
        </a>
      </div>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{session.id}</code>
        </dd>
        <dt>Backend</dt>
        <dd>
          {session.backend} {session.model ?? ""}
        </dd>
        <dt>Workdir</dt>
        <dd>{session.working_dir}</dd>
        <dt>Turns</dt>
        <dd>{session.turn_count}</dd>
        <dt>Usage</dt>
        <dd>{fmt.tokens(session.token_usage)}</dd>
        <dt>Last used</dt>
        <dd>{fmt.age(session.last_used)}</dd>
        {session.parent_id && (
          <>
            <dt>Forked from</dt>
            <dd>
              <a href={`#/sessions/${session.parent_id}`}>{fmt.short(session.parent_id)}</a>
            </dd>
          </>
        )}
      </dl>
      {session.initial_prompt && (
        <>
          <h3>First prompt</h3>
          <p class="prompt">{session.initial_prompt}</p>
        </>
      )}
      {session.error_message && <p class="error">{session.error_message}</p>}
      {turns && <Turns turns={turns} />}
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const result = await api<{ output?: string; error?: string; duration_ms?: number }>(
              `/api/v1/sessions/${session.id}/resume`,
              { method: "POST", body: { prompt } },
            );
            setAnswer(result);
            setPrompt("");
            await load();
            onChanged();
          });
        }}
      >
        <label for="resume-prompt">Continue this session</label>
        <textarea
          id="resume-prompt"
          rows={3}
          value={prompt}
          required
          onInput={(e) => setPrompt(e.currentTarget.value)}
        />
        <div class="row">
          <button type="submit" disabled={busy || !prompt.trim()}>
            {busy ? "Running…" : "Send"}
          </button>
        </div>
      </form>
      {answer && (
        <div class="answer" aria-live="polite">
          {answer.error ? <p class="error">{answer.error}</p> : <pre>{answer.output}</pre>}
          {answer.duration_ms !== undefined && <p class="muted">{fmt.ms(answer.duration_ms)}</p>}
        </div>
      )}
      <h3>Tags</h3>
      <ul class="tags" aria-label="Tags">
        {session.tags.map((t) => (
          <li key={t}>
            {t}{" "}
            <button
              type="button"
              class="link"
              aria-label={`Remove tag ${t}`}
              onClick={() =>
                act(async () => {
                  setSession(
                    await api<Session>(`/api/v1/sessions/${session.id}/tags`, {
                      method: "POST",
                      body: { remove: [t] },
                    }),
                  );
                  onChanged();
                })
              }
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            setSession(
              await api<Session>(`/api/v1/sessions/${session.id}/tags`, { method: "POST", body: { add: [tag] } }),
            );
            setTag("");
            onChanged();
          });
        }}
      >
        <label for="new-tag" class="sr-only">
          New tag
        </label>
        <input
          id="new-tag"
          placeholder="new tag"
          value={tag}
          maxLength={64}
          onInput={(e) => setTag(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy || !tag.trim()}>
          Add tag
        </button>
      </form>
      <div class="row actions">
        {session.backend === "claude" && (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              act(async () => {
                const fork = await api<Session>(`/api/v1/sessions/${session.id}/fork`, { method: "POST" });
                onChanged();
                location.hash = `#/sessions/${fork.id}`;
              })
            }
          >
            Fork
          </button>
        )}
        {confirming ? (
          <span class="confirm" role="alertdialog" aria-label="Confirm delete">
            Delete this session for good?{" "}
            <button
              type="button"
              class="danger"
              disabled={busy}
              onClick={() =>
                act(async () => {
                  await api(`/api/v1/sessions/${session.id}`, { method: "DELETE" });
                  onGone();
                })
              }
            >
              Yes, delete
            </button>{" "}
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </span>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete…
          </button>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

export function SessionsPage() {
  const [filters, setFilters] = useState<Filters>({
    backend: "",
    status: "",
    tag: "",
    workdir: "",
    age: "any",
    search: "",
  });
  const [page, setPage] = useState<{ sessions: SessionSummary[]; total: number }>();
  const [error, setError] = useState("");
  const [open, setOpen] = useState(sessionFromHash());
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const onHash = () => setOpen(sessionFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    const query = new URLSearchParams({ limit: "200" });
    for (const key of ["backend", "status", "tag", "workdir"] as const) if (filters[key]) query.set(key, filters[key]);
    const q = filters.search.trim();
    if (q) query.set("q", q.slice(0, 200));
    const timer = setTimeout(() => {
      api<{ sessions: SessionSummary[]; total: number }>(`/api/v1/sessions?${query}`).then(
        (p) => {
          setPage(p);
          setError("");
        },
        (e: Error) => setError(e.message),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [filters.backend, filters.status, filters.tag, filters.workdir, filters.search, version]);

  const set = (key: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setFilters({ ...filters, [key]: e.currentTarget.value });
  const maxAge = AGES[filters.age] ?? 0;
  const shown = (page?.sessions ?? []).filter((s) => !maxAge || Date.now() - Date.parse(s.last_used) <= maxAge);
  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      {open && (
        <SessionDetail
          id={open}
          onChanged={() => setVersion(version + 1)}
          onGone={() => {
            setVersion(version + 1);
            location.hash = "#/sessions";
          }}
        />
      )}
      <form class="filters" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search{" "}
          <input
            type="search"
            value={filters.search}
            onInput={set("search")}
            placeholder="title, tag, prompt…"
            maxLength={200}
          />
        </label>
        <label>
          Backend{" "}
          <select value={filters.backend} onChange={set("backend")}>
            <option value="">all</option>
            {BACKENDS.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
        <label>
          Status{" "}
          <select value={filters.status} onChange={set("status")}>
            <option value="">all</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Tag <input value={filters.tag} onInput={set("tag")} />
        </label>
        <label>
          Workdir <input value={filters.workdir} onInput={set("workdir")} placeholder="/abs/path" />
        </label>
        <label>
          Used within{" "}
          <select value={filters.age} onChange={set("age")}>
            {Object.keys(AGES).map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted" aria-live="polite">
        {page ? `${shown.length} shown of ${page.total}` : "Loading sessions…"}
      </p>
      <ul class="session-list">
        {shown.map((s) => (
          <li key={s.id} data-session={s.id} class={s.id === open ? "selected" : undefined}>
            <a href={`#/sessions/${s.id}`}>
              <strong>{s.title || s.prompt_preview || fmt.short(s.id)}</strong>
            </a>
            <span class="muted">
              {" "}
              {s.backend} · {s.status} · {s.turn_count} turn{s.turn_count === 1 ? "" : "s"} · {fmt.age(s.last_used)}
              {s.tags.length > 0 && ` · ${s.tags.join(", ")}`}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
