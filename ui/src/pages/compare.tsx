/**
 * Compare: one prompt on several backends, the answers streaming side by side with duration and
 * tokens under each; and a chain, step by step, each step's output feeding the next ({{previous}}).
 */
import { useRef, useState } from "preact/hooks";
import { BACKENDS, fmt, ndjson, type Usage } from "../api.js";

interface Column {
  label: string;
  backend: string;
  state: "queued" | "running" | "completed" | "failed" | "cancelled" | "skipped";
  text: string;
  error?: string;
  duration_s?: number;
  usage?: Usage;
  session_id?: string;
}

type WorkflowEvent =
  | { type: "task_queued" | "task_started"; index: number; label: string; backend: string }
  | { type: "task_output"; index: number; event: { type: string; text?: string } }
  | {
      type: "task_finished";
      index: number;
      label: string;
      result: {
        backend: string;
        status: Column["state"];
        output?: string;
        error?: string;
        duration_seconds: number;
        usage?: Usage;
        session_id?: string;
      };
    }
  | { type: "summary" }
  | { type: "error"; error: { message: string } };

/** Runs a workflow, keeping one column per task up to date. */
function useWorkflow() {
  const [columns, setColumns] = useState<Column[]>([]);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState("");
  const controller = useRef<AbortController | undefined>(undefined);
  const start = async (path: string, body: unknown, labels: { label: string; backend: string }[]) => {
    controller.current = new AbortController();
    setColumns(labels.map((l) => ({ ...l, state: "queued", text: "" })));
    setRunning(true);
    setError("");
    const update = (index: number, change: (c: Column) => Column) =>
      setColumns((list) => list.map((c, i) => (i === index ? change(c) : c)));
    try {
      for await (const event of ndjson<WorkflowEvent>(path, body, controller.current.signal)) {
        if (event.type === "task_started") update(event.index, (c) => ({ ...c, state: "running" }));
        else if (event.type === "task_output" && event.event.type === "text")
          update(event.index, (c) => ({ ...c, text: c.text + (event.event.text ?? "") }));
        else if (event.type === "task_finished") {
          const r = event.result;
          update(event.index, (c) => ({
            ...c,
            state: r.status,
            text: r.output ?? c.text,
            error: r.error,
            duration_s: r.duration_seconds,
            usage: r.usage,
            session_id: r.session_id,
          }));
        } else if (event.type === "error") setError(event.error.message);
      }
    } catch (e) {
      if (!controller.current?.signal.aborted) setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  };
  return { columns, running, error, start, stop: () => controller.current?.abort() };
}

type Workflow = ReturnType<typeof useWorkflow>;

/** Stops a running compare or chain. */
function StopButton({ flow }: { flow: Workflow }) {
  if (!flow.running) return null;
  return (
    <button type="button" onClick={flow.stop}>
      Stop
    </button>
  );
}

/** A compare's or chain's error and answers, side by side. */
function Outcome({ flow }: { flow: Workflow }) {
  return (
    <>
      {flow.error && (
        <p class="error" role="alert">
          {flow.error}
        </p>
      )}
      <Columns columns={flow.columns} />
    </>
  );
}

function Columns({ columns }: { columns: Column[] }) {
  return (
    <div class="columns">
      {columns.map((c, i) => (
        <article
          key={`${c.label}-${i}`}
          class="card answer"
          data-backend={c.backend}
          data-state={c.state}
          aria-busy={c.state === "running"}
        >
          <h3>
            {c.label} <span class={`badge ${c.state}`}>{c.state}</span>
          </h3>
          <pre class="answer-text">{c.text || (c.state === "running" || c.state === "queued" ? "…" : "")}</pre>
          {c.error && <p class="error">{c.error}</p>}
          <p class="muted">
            {c.duration_s !== undefined && `${fmt.ms(Math.round(c.duration_s * 1000))} · `}
            {fmt.tokens(c.usage)}
            {c.session_id && (
              <>
                {" · "}
                <a href={`#/sessions/${c.session_id}`}>session {fmt.short(c.session_id)}</a>
              </>
            )}
          </p>
        </article>
      ))}
    </div>
  );
}

function CompareForm() {
  const [prompt, setPrompt] = useState("");
  const [chosen, setChosen] = useState<string[]>([...BACKENDS]);
  const [workdir, setWorkdir] = useState("");
  const [keep, setKeep] = useState(true);
  const flow = useWorkflow();
  return (
    <section aria-labelledby="compare-title">
      <h2 id="compare-title">Compare backends</h2>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const backends = BACKENDS.filter((b) => chosen.includes(b));
          void flow.start(
            "/api/v1/compare",
            { prompt, backends, ephemeral: !keep, ...(workdir.trim() ? { workdir: workdir.trim() } : {}) },
            backends.map((b) => ({ label: b, backend: b })),
          );
        }}
      >
        <label for="compare-prompt">Prompt</label>
        <textarea
          id="compare-prompt"
          rows={3}
          required
          value={prompt}
          onInput={(e) => setPrompt(e.currentTarget.value)}
        />
        <fieldset class="row">
          <legend>Backends</legend>
          {BACKENDS.map((b) => (
            <label key={b}>
              <input
                type="checkbox"
                name="backend"
                value={b}
                checked={chosen.includes(b)}
                onChange={(e) => setChosen(e.currentTarget.checked ? [...chosen, b] : chosen.filter((x) => x !== b))}
              />{" "}
              {b}
            </label>
          ))}
        </fieldset>
        <div class="row">
          <label>
            Workdir{" "}
            <input value={workdir} placeholder="server default" onInput={(e) => setWorkdir(e.currentTarget.value)} />
          </label>
          <label>
            <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} /> keep as sessions
          </label>
        </div>
        <div class="row">
          <button type="submit" disabled={flow.running || chosen.length === 0 || !prompt.trim()}>
            {flow.running ? "Running…" : "Compare"}
          </button>
          <StopButton flow={flow} />
        </div>
      </form>
      <Outcome flow={flow} />
    </section>
  );
}

function ChainForm() {
  const [steps, setSteps] = useState([{ backend: "claude", prompt: "" }]);
  const flow = useWorkflow();
  const change = (index: number, field: "backend" | "prompt", value: string) =>
    setSteps(steps.map((s, i) => (i === index ? { ...s, [field]: value } : s)));
  return (
    <section aria-labelledby="chain-title">
      <h2 id="chain-title">Chain</h2>
      <p class="muted">Each step may use {"{{previous}}"}: the output of the step before it.</p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void flow.start(
            "/api/v1/chain",
            { steps: steps.map((s, i) => ({ ...s, name: `step ${i + 1}` })) },
            steps.map((s, i) => ({ label: `${i + 1}. ${s.backend}`, backend: s.backend })),
          );
        }}
      >
        {steps.map((s, i) => (
          <div class="row step" key={i}>
            <label>
              Step {i + 1}{" "}
              <select value={s.backend} onChange={(e) => change(i, "backend", e.currentTarget.value)}>
                {BACKENDS.map((b) => (
                  <option key={b}>{b}</option>
                ))}
              </select>
            </label>
            <label class="grow">
              <span class="sr-only">Prompt of step {i + 1}</span>
              <textarea
                rows={2}
                required
                value={s.prompt}
                onInput={(e) => change(i, "prompt", e.currentTarget.value)}
              />
            </label>
            {steps.length > 1 && (
              <button
                type="button"
                aria-label={`Remove step ${i + 1}`}
                onClick={() => setSteps(steps.filter((_, j) => j !== i))}
              >
                ×
              </button>
            )}
          </div>
        ))}
        <div class="row">
          <button type="button" onClick={() => setSteps([...steps, { backend: "claude", prompt: "{{previous}}" }])}>
            Add step
          </button>
          <button type="submit" disabled={flow.running}>
            {flow.running ? "Running…" : "Run chain"}
          </button>
          <StopButton flow={flow} />
        </div>
      </form>
      <Outcome flow={flow} />
    </section>
  );
}

export function ComparePage() {
  return (
    <>
      <h1>Compare</h1>
      <CompareForm />
      <ChainForm />
    </>
  );
}
