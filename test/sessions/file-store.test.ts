import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClinvkError } from "../../src/core/errors.js";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { MAX_TITLE_LENGTH, summarize } from "../../src/sessions/session.js";
import { sessionStoreContract } from "./contract.js";

sessionStoreContract("file", () => mkdtempSync(join(tmpdir(), "clinvk-store-")));

describe("the file store distrusts what it reads and says what the disk did", () => {
  const newStore = () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-store-"));
    return { home, store: new FileSessionStore(home) };
  };
  const input = { backend: "claude" as const, working_dir: tmpdir() };

  it("an index entry with a crafted id is never used as a path: clean deletes nothing outside the store", async () => {
    const { home, store } = newStore();
    const kept = await store.create(input);
    await store.list({}); // the index exists
    const victim = join(home, "victim");
    mkdirSync(victim);
    writeFileSync(join(victim, "precious.json"), "{}");
    const crafted = { ...summarize(kept), id: "../victim/precious", last_used: "2000-01-01T00:00:00.000Z" };
    appendFileSync(join(store.directory, "index.log"), `${JSON.stringify({ set: crafted })}\n`);
    const result = await store.clean(new Date("2100-01-01"));
    expect(existsSync(join(victim, "precious.json"))).toBe(true);
    expect(result.sessions.map((s) => s.id)).toEqual([kept.id]);
    expect(store.problems().join("\n")).toContain("could not be trusted");
  });

  it("null and malformed index entries are repaired from the session files, not a TypeError", async () => {
    const { home, store } = newStore();
    const one = await store.create(input);
    const two = await store.create(input);
    const sessions = { [one.id]: summarize(one), [two.id]: null };
    writeFileSync(join(store.directory, "index.json"), JSON.stringify({ version: 1, sessions }));
    writeFileSync(join(store.directory, "index.log"), 'null\n{"set":null}\n{"delete":"../x"}\n');
    const page = await new FileSessionStore(home).list({ backend: "claude" });
    expect(page.sessions.map((s) => s.id).sort()).toEqual([one.id, two.id].sort());
  });

  it("a store it cannot write fails at once, naming the cause, instead of waiting for a lock", async () => {
    const { store } = newStore();
    rmSync(store.directory, { recursive: true });
    writeFileSync(store.directory, ""); // the store's folder is now a file: every write fails with ENOTDIR
    const started = Date.now();
    const error = await store.create(input).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(ClinvkError);
    expect((error as ClinvkError).code).toBe("session_error");
    expect((error as ClinvkError).message).toContain("a part of the path is not a directory (ENOTDIR)");
  });

  it("titles are bounded", async () => {
    const { store } = newStore();
    const session = await store.create({ ...input, title: "t".repeat(5_000_000) });
    expect(session.title).toHaveLength(MAX_TITLE_LENGTH);
  });
});

describe("the file store reads session files written before turns were kept", () => {
  it("a record without turns loads, lists, searches and gets its first turn", async () => {
    const home = mkdtempSync(join(tmpdir(), "clinvk-store-"));
    const store = new FileSessionStore(home);
    const id = "0123456789abcdef0123456789abcdef";
    const old = {
      id,
      backend: "claude",
      working_dir: "/old/place",
      initial_prompt: "an old question about walruses",
      status: "completed",
      turn_count: 3,
      token_usage: { input_tokens: 1, output_tokens: 2, cached_tokens: 0, reasoning_tokens: 0 },
      tags: [],
      metadata: {},
      created_at: "2025-01-01T00:00:00.000Z",
      last_used: "2025-01-01T00:00:00.000Z",
    };
    writeFileSync(join(store.directory, `${id}.json`), JSON.stringify(old));
    const fresh = new FileSessionStore(home);
    expect((await fresh.get(id)).turns).toBeUndefined();
    expect((await fresh.list({ q: "WALRUS" })).sessions.map((s) => s.id)).toEqual([id]);
    const { makeTurn, recordTurn } = await import("../../src/sessions/turns.js");
    await fresh.update(id, (s) =>
      recordTurn(
        s,
        makeTurn({ status: "success", durationMs: 5, prompt: "and narwhals?", answer: "yes" }, { keepText: true }),
      ),
    );
    const after = await fresh.get(id);
    expect(after.turns).toHaveLength(1);
    expect(after.turns_dropped).toBeUndefined();
    expect((await fresh.list({ q: "narwhal" })).total).toBe(1);
  });
});
