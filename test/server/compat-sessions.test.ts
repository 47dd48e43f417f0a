import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BackendName } from "../../src/core/backend-names.js";
import { answeredPrefixes, fingerprint, type Turn } from "../../src/server/compat/conversation.js";
import {
  conversationTag,
  giveBack,
  META,
  record,
  take,
  takeByFingerprint as takeByFingerprints,
} from "../../src/sessions/conversations.js";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import type { SessionStore } from "../../src/sessions/store.js";

/** What the compatible APIs do: the session holding the longest answered prefix of `turns`, taken. */
async function takeByFingerprint(store: SessionStore, turns: Turn[], backend: BackendName) {
  const candidates = answeredPrefixes(turns);
  const found = await takeByFingerprints(
    store,
    candidates.map((candidate) => candidate.fingerprint),
    backend,
  );
  return found && { ...found, matched: candidates[found.matched]?.index };
}

const user = (text: string): Turn => ({ role: "user", text });
const assistant = (text: string): Turn => ({ role: "assistant", text });

async function storeWithSession(turns: Turn[], backend: "claude" | "codex" = "claude") {
  const store = new FileSessionStore(mkdtempSync(join(tmpdir(), "clinvk-compat-")));
  const session = await store.create({
    backend,
    working_dir: tmpdir(),
    backend_session_id: "cli-1",
    tags: ["openai"],
  });
  await record(store, session.id, { fingerprint: fingerprint(turns), responseId: "resp_1" });
  return { store, id: session.id };
}

describe("continuation", () => {
  it("records a conversation's fingerprint in the metadata and as a tag", async () => {
    const turns = [user("hi"), assistant("hello")];
    const { store, id } = await storeWithSession(turns);
    const session = await store.get(id);
    expect(session.metadata[META.conversation]).toBe(fingerprint(turns));
    expect(session.metadata[META.response]).toBe("resp_1");
    expect(session.tags).toEqual(["openai", conversationTag(fingerprint(turns))]);
    // A turn without a response id leaves no stale one behind.
    await record(store, id, { fingerprint: fingerprint([...turns, user("x"), assistant("y")]) });
    const after = await store.get(id);
    expect(after.metadata[META.response]).toBeUndefined();
    expect(after.tags.filter((tag) => tag.startsWith("conv:"))).toHaveLength(1);
  });

  it("finds the session holding the longest recorded prefix, of the same backend only", async () => {
    const turns = [user("hi"), assistant("hello"), user("more")];
    const { store, id } = await storeWithSession(turns.slice(0, 2));
    expect(await takeByFingerprint(store, turns, "codex")).toBeUndefined();
    const found = await takeByFingerprint(store, turns, "claude");
    expect(found?.session.id).toBe(id);
    expect(found?.matched).toBe(1);
    expect(found?.previous).toBe(fingerprint(turns.slice(0, 2)));
  });

  it("a different history, or an edited answer, finds nothing", async () => {
    const { store } = await storeWithSession([user("hi"), assistant("hello")]);
    expect(await takeByFingerprint(store, [user("hi"), assistant("hello!"), user("more")], "claude")).toBeUndefined();
    expect(await takeByFingerprint(store, [user("hey"), assistant("hello"), user("more")], "claude")).toBeUndefined();
  });

  it("a taken conversation cannot be taken twice; given back, it can", async () => {
    const turns = [user("hi"), assistant("hello"), user("more")];
    const { store } = await storeWithSession(turns.slice(0, 2));
    const first = await takeByFingerprint(store, turns, "claude");
    expect(first).toBeDefined();
    expect(await takeByFingerprint(store, turns, "claude")).toBeUndefined();
    await giveBack(store, first!);
    expect(await takeByFingerprint(store, turns, "claude")).toBeDefined();
  });

  it("giving back does not undo a newer turn", async () => {
    const turns = [user("hi"), assistant("hello")];
    const { store, id } = await storeWithSession(turns);
    const taken = (await take(store, id))!;
    const newer = fingerprint([...turns, user("x"), assistant("y")]);
    await record(store, id, { fingerprint: newer });
    await giveBack(store, taken);
    expect((await store.get(id)).metadata[META.conversation]).toBe(newer);
    expect((await store.get(id)).tags).toContain(conversationTag(newer));
    expect((await store.get(id)).tags).not.toContain(conversationTag(fingerprint(turns)));
  });

  it("a session that went on elsewhere (its turn count moved) is not found by the fingerprint", async () => {
    const turns = [user("hi"), assistant("hello")];
    const { store, id } = await storeWithSession(turns);
    await store.update(id, (s) => {
      s.turn_count += 1;
    });
    expect(await takeByFingerprint(store, [...turns, user("more")], "claude")).toBeUndefined();
    expect(await take(store, id)).toBeDefined();
  });

  it("take with an expected fingerprint refuses a conversation that moved on", async () => {
    const turns = [user("hi"), assistant("hello")];
    const { store, id } = await storeWithSession(turns);
    expect(await take(store, id, fingerprint([user("other"), assistant("x")]))).toBeUndefined();
    expect(await take(store, id, fingerprint(turns))).toBeDefined();
  });
});
