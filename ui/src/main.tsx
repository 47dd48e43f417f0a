/** The dashboard's shell: the key prompt, the navigation and the page of the location's hash. */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, apiKey, onUnauthorized } from "./api.js";
import { ComparePage } from "./pages/compare.js";
import { HealthPage } from "./pages/health.js";
import { RunsPage } from "./pages/runs.js";
import { SessionsPage } from "./pages/sessions.js";

const PAGES = {
  runs: { title: "Runs", Page: RunsPage },
  sessions: { title: "Sessions", Page: SessionsPage },
  compare: { title: "Compare", Page: ComparePage },
  health: { title: "Health", Page: HealthPage },
} as const;
type PageName = keyof typeof PAGES;

const pageOf = (hash: string): PageName => {
  const name = hash.replace(/^#\/?/, "").split("/")[0] as PageName;
  return name in PAGES ? name : "runs";
};

function KeyForm({ onDone, failed }: { onDone: () => void; failed: boolean }) {
  const [key, setKey] = useState("");
  return (
    <form
      class="card key-form"
      onSubmit={(e) => {
        e.preventDefault();
        apiKey.set(key.trim());
        onDone();
      }}
    >
      <h1>clinvk dashboard</h1>
      <label for="api-key">API key</label>
      <input
        id="api-key"
        type="password"
        autocomplete="off"
        required
        value={key}
        onInput={(e) => setKey(e.currentTarget.value)}
      />
      <p class="muted">Kept in this tab only (sessionStorage); it is sent to this server and nowhere else.</p>
      {failed && (
        <p class="error" role="alert">
          The server refused that key.
        </p>
      )}
      <button type="submit">Sign in</button>
    </form>
  );
}

function App() {
  const [page, setPage] = useState<PageName>(pageOf(location.hash));
  const [auth, setAuth] = useState<"checking" | "needed" | "refused" | "ok">("checking");

  const check = () => {
    setAuth("checking");
    api("/api/v1/runs?limit=1").then(
      () => setAuth("ok"),
      (error: { status?: number }) => {
        if (error.status !== 401) return setAuth("ok"); // the page shows the error itself
        setAuth(apiKey.get() ? "refused" : "needed");
        apiKey.clear();
      },
    );
  };
  useEffect(() => {
    check();
    const onHash = () => setPage(pageOf(location.hash));
    window.addEventListener("hashchange", onHash);
    const onRefused = () => setAuth("refused");
    onUnauthorized.add(onRefused);
    return () => {
      window.removeEventListener("hashchange", onHash);
      onUnauthorized.delete(onRefused);
    };
  }, []);

  if (auth === "checking") return <p class="muted center">Connecting…</p>;
  if (auth !== "ok") return <KeyForm onDone={check} failed={auth === "refused"} />;
  const { Page } = PAGES[page];
  return (
    <>
      <header>
        <span class="brand">clinvk</span>
        <nav aria-label="Pages">
          {(Object.keys(PAGES) as PageName[]).map((name) => (
            <a key={name} href={`#/${name}`} aria-current={name === page ? "page" : undefined}>
              {PAGES[name].title}
            </a>
          ))}
        </nav>
        {apiKey.get() && (
          <button
            type="button"
            class="link"
            onClick={() => {
              apiKey.clear();
              setAuth("needed");
            }}
          >
            Sign out
          </button>
        )}
      </header>
      <main id="main">
        <Page />
      </main>
    </>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
