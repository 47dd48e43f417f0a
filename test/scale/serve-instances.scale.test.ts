// Sessions that move between `clinvk serve` instances over HTTP, with the real CLIs behind the provider stub:
// each instance a machine of its own (CLINVK_HOME, HOME, CODEX_HOME), all on one PostgreSQL schema and one
// Redis prefix. A conversation started through A goes on through B with its earlier turn sent to the
// provider (the native API for each backend; OpenAI chat completions with codex, Anthropic messages with claude), and a session runs one
// turn at a time whichever instances its turns reach. (The shared rate limit is redis.scale.test.ts's.)
import { describe, expect, it } from "vitest";
import { CLI_NAMES } from "../e2e/cli-env.js";
import { runDir } from "../e2e/clinvk-bin.js";
import { instancesSuite, type ServeInstance } from "./instances.js";

const suite = instancesSuite();

interface Answer {
  session_id: string | null;
  status: string;
  output?: string;
  error_code?: string;
  backend_session_id?: string;
}

/** An HTTP error's body. */
interface Refusal {
  error: { code: string; message: string; hint?: string };
}

const post = (instance: ServeInstance, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${instance.url}${path}`, {
    method: "POST",
    headers: { ...instance.headers, ...headers },
    body: JSON.stringify(body),
  });

async function answer(response: Response | Promise<Response>): Promise<Answer & Partial<Refusal> & { http: number }> {
  const r = await response;
  return { http: r.status, ...((await r.json()) as Answer & Partial<Refusal>) };
}

/** Everything the provider stub was sent last, as one string to search. */
const lastSent = () => JSON.stringify(suite.stub.lastRequest()?.body ?? "");

describe("a conversation started through one instance goes on through another", () => {
  for (const backend of CLI_NAMES) {
    it(`${backend}: native API, /prompt on A then /sessions/{id}/resume on B, and back on A`, async () => {
      const [a, b] = await suite.start([{}, {}]);
      const workdir = runDir(a.sb); // the working directory both machines see
      suite.stub.script({ text: "first answer" });
      const first = await answer(post(a, "/api/v1/prompt", { backend, prompt: "remember the word pelican", workdir }));
      expect(first, a.log()).toMatchObject({ http: 200, status: "success", output: "first answer" });
      const id = first.session_id as string;
      expect(id).toBeTruthy();

      suite.stub.script({ text: "second answer" });
      const second = await answer(post(b, `/api/v1/sessions/${id}/resume`, { prompt: "what was the word?" }));
      expect(second, b.log()).toMatchObject({ http: 200, status: "success", session_id: id });
      expect(second.backend_session_id).toBe(first.backend_session_id);
      const sent = lastSent();
      expect(sent).toContain("what was the word?");
      expect(sent).toContain("remember the word pelican");
      expect(sent).toContain("first answer");

      // Back on A, whose own copy of the CLI's transcript is one turn behind: B's turn is sent too.
      suite.stub.script({ text: "third answer" });
      const third = await answer(post(a, "/api/v1/prompt", { session_id: id, prompt: "and once more" }));
      expect(third, a.log()).toMatchObject({ http: 200, status: "success", session_id: id });
      const again = lastSent();
      expect(again).toContain("what was the word?");
      expect(again).toContain("second answer");

      const session = (await (await fetch(`${b.url}/api/v1/sessions/${id}`, { headers: b.headers })).json()) as {
        turn_count: number;
      };
      expect(session.turn_count).toBe(3);
    });
  }

  const surfaces = [
    {
      name: "codex: OpenAI chat completions",
      path: "/openai/v1/chat/completions",
      provider: "openai",
      body: (messages: unknown[]) => ({ model: "codex", messages }),
      text: (body: unknown) => (body as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
      items: (sent: unknown) => (sent as { input?: unknown[] }).input ?? [],
    },
    {
      name: "claude: Anthropic messages",
      path: "/anthropic/v1/messages",
      provider: "anthropic",
      body: (messages: unknown[]) => ({ model: "claude", max_tokens: 1024, messages }),
      text: (body: unknown) => (body as { content: { type: string; text?: string }[] }).content[0]?.text,
      items: (sent: unknown) => (sent as { messages?: unknown[] }).messages ?? [],
    },
  ] as const;

  for (const surface of surfaces) {
    it(`${surface.name}: the replayed history continues A's session through B`, async () => {
      const [a, b] = await suite.start([{}, {}]);
      const workdir = runDir(a.sb);
      const send = (instance: ServeInstance, messages: unknown[]) =>
        post(instance, surface.path, surface.body(messages), { "x-clinvk-workdir": workdir });
      const opening = { role: "user", content: "remember the word pelican" };
      suite.stub.script({ text: "first answer" });
      const first = await send(a, [opening]);
      expect(first.status, a.log()).toBe(200);
      const session = first.headers.get("x-clinvk-session");
      expect(session).toBeTruthy();
      expect(surface.text(await first.json())).toBe("first answer");

      suite.stub.script({ text: "second answer" });
      const second = await send(b, [
        opening,
        { role: "assistant", content: "first answer" },
        { role: "user", content: "what was the word?" },
      ]);
      expect(second.status, b.log()).toBe(200);
      expect(surface.text(await second.json())).toBe("second answer");
      // The same session, resumed (not a new one given the history as a transcript).
      expect(second.headers.get("x-clinvk-session")).toBe(session);
      const sent = suite.stub.lastRequest(surface.provider)?.body;
      const text = JSON.stringify(sent);
      expect(text).toContain("remember the word pelican");
      expect(text).toContain("first answer");
      // The CLI was given the new message alone: the earlier turns came from its own history.
      const asked = surface.items(sent).filter((item) => JSON.stringify(item).includes("what was the word?"));
      expect(asked).toHaveLength(1);
      expect(JSON.stringify(asked[0])).not.toContain("pelican");
    });
  }
});

describe("one turn at a time per session across instances", () => {
  it("two turns of one session sent at once to A and to B: one runs, the other is refused; then a turn works", async () => {
    const [a, b] = await suite.start([{}, {}]);
    const workdir = runDir(a.sb);
    suite.stub.script({ text: "first answer" });
    const first = await answer(post(a, "/api/v1/prompt", { backend: "claude", prompt: "remember pelican", workdir }));
    expect(first, a.log()).toMatchObject({ http: 200, status: "success" });
    const id = first.session_id as string;

    // Slow enough that the two turns overlap whichever starts first.
    suite.stub.script({ text: "a slow answer", chunkSize: 2, chunkDelayMs: 300 });
    const [viaA, viaB] = await Promise.all([
      answer(post(a, `/api/v1/sessions/${id}/resume`, { prompt: "turn through A" })),
      answer(post(b, `/api/v1/sessions/${id}/resume`, { prompt: "turn through B" })),
    ]);
    const ran = [viaA, viaB].filter((r) => r.http === 200);
    const refused = [viaA, viaB].filter((r) => r.http !== 200);
    expect(ran, JSON.stringify([viaA, viaB])).toHaveLength(1);
    expect(ran[0]).toMatchObject({ status: "success", output: "a slow answer", session_id: id });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ http: 409, error: { code: "session_error" } });
    expect(refused[0]?.error?.message).toMatch(/is running a turn already/);
    // The provider heard one of them only.
    expect(suite.stub.mainRequests("anthropic")).toHaveLength(2);

    // A later turn works, through either instance, and sees the turn that ran.
    const winner = viaA.http === 200 ? "turn through A" : "turn through B";
    suite.stub.script({ text: "third answer" });
    const later = await answer(post(b, `/api/v1/sessions/${id}/resume`, { prompt: "what did I just say?" }));
    expect(later, b.log()).toMatchObject({ http: 200, status: "success", session_id: id });
    expect(lastSent()).toContain(winner);
  });
});
