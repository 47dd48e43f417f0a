/** Health: the backends (versions, circuits), the admission gate, the server's version and uptime. */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.js";

interface Health {
  status: string;
  version: string;
  uptime: string;
  backends: { name: string; available: boolean; version: string | null; circuit: string }[];
  session_store: { available: boolean; session_count?: number; error?: string };
  runs: { active: number; running?: number; queued?: number };
}

export function HealthPage() {
  const [health, setHealth] = useState<Health>();
  const [error, setError] = useState("");
  useEffect(() => {
    const load = () =>
      // An unhealthy server answers 503 with the same report.
      api<Health>("/health", { alsoOk: [503] }).then(
        (h) => {
          setHealth(h);
          setError("");
        },
        (e: Error) => setError(e.message),
      );
    void load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, []);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!health) return <p class="muted">Loading…</p>;
  return (
    <section aria-labelledby="health-title">
      <h1 id="health-title">
        Health <span class={`badge ${health.status}`}>{health.status}</span>
      </h1>
      <p>
        clinvk {health.version}, up {health.uptime}. Runs: {health.runs.running ?? health.runs.active} running,{" "}
        {health.runs.queued ?? 0} queued.
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Backend</th>
              <th>Available</th>
              <th>Version</th>
              <th>Circuit</th>
            </tr>
          </thead>
          <tbody>
            {health.backends.map((b) => (
              <tr key={b.name}>
                <td>{b.name}</td>
                <td>{b.available ? "yes" : "no"}</td>
                <td>{b.version ?? "–"}</td>
                <td>
                  <span class={`badge ${b.circuit}`}>{b.circuit}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        Session store:{" "}
        {health.session_store.available
          ? `${health.session_store.session_count ?? 0} sessions`
          : `unavailable (${health.session_store.error})`}
      </p>
    </section>
  );
}
