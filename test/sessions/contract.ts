/**
 * The contract every SessionStore must pass: the file store (npm test) and PostgreSQL (npm run
 * test:scale, test/scale/pg-store.scale.test.ts). Call
 * `sessionStoreContract("kind", makeHome)` from a test file.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  giveBack,
  META,
  record as recordConversation,
  takeByFingerprint,
  take as takeConversation,
} from "../../src/sessions/conversations.js";
import type { Session } from "../../src/sessions/session.js";
import { makeTurn, recordTurn } from "../../src/sessions/turns.js";
import { ROOT } from "../helpers.js";
import { openStoreForContract } from "./stores.js";

const WORKER = join(ROOT, "test", "sessions", "worker.ts");
/** One node process per worker (no tsx wrapper), so that a signal reaches the writer itself. */
const workerArgs = (kind: string, home: string, args: string[]) => ["--import", "tsx", WORKER, kind, home, ...args];

function runWorker(kind: string, home: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, workerArgs(kind, home, args), { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
}

async function expectCode(promise: Promise<unknown>, code: string) {
  await expect(promise).rejects.toMatchObject({ code });
}

export function sessionStoreContract(kind: string, makeHome: () => string) {
  const open = () => {
    const home = makeHome();
    return { home, store: openStoreForContract(kind, home) };
  };

  describe(`SessionStore contract: ${kind}`, () => {
    it("create, get, get by prefix", async () => {
      const { store } = open();
      const created = await store.create({
        backend: "codex",
        working_dir: "/work/project",
        model: "o3",
        initial_prompt: "fix the bug",
        tags: ["ci"],
        metadata: { ticket: "42" },
      });
      expect(created.id).toMatch(/^[a-f0-9]{32}$/);
      expect(created).toMatchObject({ status: "active", turn_count: 0, backend: "codex" });
      expect(await store.get(created.id)).toEqual(created);
      expect(await store.getByPrefix(created.id.slice(0, 6))).toEqual(created);
      expect(await store.getByPrefix(created.id.slice(0, 6).toUpperCase())).toEqual(created);
    });

    it("ids and prefixes from users never reach outside the store", async () => {
      const { store } = open();
      for (const bad of [
        "../../etc/passwd",
        "/etc/passwd",
        "..",
        "abc/def",
        "zz",
        "",
        `${"a".repeat(32)}/..`,
        "a\0b",
      ]) {
        await expectCode(store.get(bad), "session_not_found");
        await expectCode(store.delete(bad), "session_not_found");
        await expectCode(
          store.update(bad, () => {}),
          "session_not_found",
        );
      }
      for (const bad of ["../", "g", "/", "a.b", ""]) await expectCode(store.getByPrefix(bad), "session_not_found");
    });

    it("not found and ambiguous prefixes are session errors", async () => {
      const { store } = open();
      await expectCode(store.get("0".repeat(32)), "session_not_found");
      await expectCode(store.getByPrefix("abc"), "session_not_found");
      const sessions: Session[] = [];
      for (let i = 0; i < 40; i++) sessions.push(await store.create({ backend: "claude", working_dir: "/w" }));
      await expect(store.getByPrefix("")).rejects.toMatchObject({ code: "session_not_found" });
      const counts = new Map<string, number>();
      for (const s of sessions) counts.set(s.id[0] as string, (counts.get(s.id[0] as string) ?? 0) + 1);
      const shared = [...counts.entries()].find(([, n]) => n > 1)?.[0] as string;
      await expect(store.getByPrefix(shared)).rejects.toThrow(/ambiguous/);
    });

    it("lists newest first with filters and paging", async () => {
      const { store } = open();
      // A millisecond apart at least: sessions created in the same one have no newer of the two.
      const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
      const a = await store.create({ backend: "claude", working_dir: "/a", tags: ["x"] });
      await tick();
      const b = await store.create({ backend: "gemini", working_dir: "/b" });
      await tick();
      const c = await store.create({ backend: "claude", working_dir: "/a", model: "opus" });
      await store.update(a.id, (s) => {
        s.last_used = new Date(Date.now() + 1000).toISOString();
        s.status = "completed";
        s.backend_session_id = "abc";
      });
      expect((await store.list()).sessions.map((s) => s.id)).toEqual([a.id, c.id, b.id]);
      expect((await store.list({ backend: "claude" })).total).toBe(2);
      expect(await store.count()).toBe(3);
      expect(await store.count({ backend: "claude" })).toBe(2);
      expect((await store.list({ status: "completed" })).sessions.map((s) => s.id)).toEqual([a.id]);
      expect((await store.list({ tag: "x" })).sessions.map((s) => s.id)).toEqual([a.id]);
      expect((await store.list({ workdir: "/b" })).sessions.map((s) => s.id)).toEqual([b.id]);
      expect((await store.list({ model: "opus" })).sessions.map((s) => s.id)).toEqual([c.id]);
      expect((await store.list({ resumable: true })).sessions.map((s) => s.id)).toEqual([a.id]);
      const page = await store.list({ limit: 1, offset: 1 });
      expect(page).toMatchObject({ total: 3 });
      expect(page.sessions.map((s) => s.id)).toEqual([c.id]);
    });

    it("turns are kept with the session, bounded, and left out of listings", async () => {
      const { store } = open();
      const session = await store.create({ backend: "claude", working_dir: "/w", initial_prompt: "first" });
      expect(session.turns).toBeUndefined();
      for (let i = 1; i <= 33; i++) {
        await store.update(session.id, (s) => {
          s.turn_count += 1;
          recordTurn(
            s,
            makeTurn(
              {
                status: i === 33 ? "error" : "success",
                errorCode: i === 33 ? "timeout" : undefined,
                durationMs: i,
                prompt: `prompt ${i} ✓`,
                answer: `answer ${i}`,
                usage: { input_tokens: i, output_tokens: 1, cached_tokens: 0, reasoning_tokens: 0 },
              },
              { keepText: true },
            ),
          );
        });
      }
      const kept = await store.get(session.id);
      expect(kept.turns).toHaveLength(30);
      expect(kept.turns_dropped).toBe(3);
      expect(kept.turns?.[0]).toMatchObject({ prompt: "prompt 4 ✓", answer: "answer 4", duration_ms: 4 });
      expect(kept.turns?.[29]).toMatchObject({ status: "error", error_code: "timeout", usage: { input_tokens: 33 } });
      const listed = (await store.list()).sessions[0] as Record<string, unknown>;
      expect(listed.id).toBe(session.id);
      expect(listed).not.toHaveProperty("turns");
      expect(listed).not.toHaveProperty("turns_dropped");
    });

    it("searches title, tags, workdir and prompts, case-insensitively and literally", async () => {
      const { store } = open();
      const titled = await store.create({ backend: "claude", working_dir: "/srv/alpha", title: "Fix the Login page" });
      const tagged = await store.create({ backend: "codex", working_dir: "/srv/beta", tags: ["Release-2"] });
      const prompted = await store.create({ backend: "gemini", working_dir: "/srv/gamma", initial_prompt: "x" });
      const cut = await store.create({ backend: "gemini", working_dir: "/srv/delta", initial_prompt: "100% done_now" });
      await store.update(prompted.id, (s) => {
        recordTurn(
          s,
          makeTurn(
            { status: "success", durationMs: 1, prompt: "Explain the QUOKKA module", answer: "ok" },
            { keepText: true },
          ),
        );
      });
      const ids = async (q: string, extra = {}) => (await store.list({ q, ...extra })).sessions.map((s) => s.id).sort();
      expect(await ids("login PAGE")).toEqual([titled.id]);
      expect(await ids("release-2")).toEqual([tagged.id]);
      expect(await ids("/srv/BETA")).toEqual([tagged.id]);
      expect(await ids("quokka")).toEqual([prompted.id]);
      expect(await ids("/srv/")).toEqual([titled.id, tagged.id, prompted.id, cut.id].sort());
      expect(await ids("/srv/", { backend: "gemini" })).toEqual([prompted.id, cut.id].sort());
      // LIKE's wildcards are plain characters in a search.
      expect(await ids("0% d")).toEqual([cut.id]);
      expect(await ids("%")).toEqual([cut.id]);
      expect(await ids("e_n")).toEqual([cut.id]);
      expect(await ids("_")).toEqual([cut.id]);
      expect(await ids("\\")).toEqual([]);
      expect(await ids("nothing like it")).toEqual([]);
      expect(await ids("   ")).toHaveLength(4);
      expect(await store.count({ q: "quokka" })).toBe(1);
      const page = await store.list({ q: "/srv/", limit: 1, offset: 1 });
      expect(page.total).toBe(4);
      expect(page.sessions).toHaveLength(1);
      await expect(store.list({ q: "x".repeat(201) })).rejects.toMatchObject({ code: "invalid_request" });
    });

    it("conversation leases: found by fingerprint and backend, taken by one turn at a time, given back", async () => {
      const { store } = open();
      const session = await store.create({ backend: "claude", working_dir: "/w", backend_session_id: "cli-1" });
      await recordConversation(store, session.id, { fingerprint: "f-one", responseId: "resp_1" });
      expect(await takeByFingerprint(store, ["f-none", "f-one"], "codex")).toBeUndefined();
      const taken = await takeByFingerprint(store, ["f-none", "f-one"], "claude");
      expect(taken).toMatchObject({ matched: 1, previous: "f-one", previousResponse: "resp_1" });
      expect(taken?.session.id).toBe(session.id);
      // Held by that turn: neither found nor taken again.
      expect(await takeByFingerprint(store, ["f-one"], "claude")).toBeUndefined();
      expect(await takeConversation(store, session.id, "f-one")).toBeUndefined();
      await giveBack(store, taken as NonNullable<typeof taken>);
      const again = await takeConversation(store, session.id, "f-one");
      expect(again?.session.id).toBe(session.id);
      // A turn recorded meanwhile is not undone by giving back an older lease.
      await recordConversation(store, session.id, { fingerprint: "f-two" });
      await giveBack(store, again as NonNullable<typeof again>);
      expect((await store.get(session.id)).metadata[META.conversation]).toBe("f-two");
      expect((await takeByFingerprint(store, ["f-two"], "claude"))?.session.id).toBe(session.id);
    });

    it("update is a read-modify-write; delete; clean by age with a preview; fork", async () => {
      const { store } = open();
      const old = await store.create({ backend: "claude", working_dir: "/w", title: "old" });
      const fresh = await store.create({
        backend: "codex",
        working_dir: "/w",
        tags: ["t"],
        backend_session_id: "th-1",
      });
      await store.update(old.id, (s) => {
        s.last_used = "2020-01-01T00:00:00.000Z";
        s.id = "f".repeat(32); // ignored: an update cannot move a session
      });
      expect((await store.get(old.id)).last_used).toBe("2020-01-01T00:00:00.000Z");
      const preview = await store.clean(new Date("2021-01-01"), { dryRun: true });
      expect(preview.sessions.map((s) => s.id)).toEqual([old.id]);
      expect((await store.list()).total).toBe(2);
      const cleaned = await store.clean(new Date("2021-01-01"));
      expect(cleaned.sessions.map((s) => s.id)).toEqual([old.id]);
      await expectCode(store.get(old.id), "session_not_found");

      const fork = await store.fork(fresh.id);
      expect(fork).toMatchObject({ parent_id: fresh.id, backend: "codex", tags: ["t"], backend_session_id: "th-1" });
      expect(fork.id).not.toBe(fresh.id);
      await store.delete(fresh.id);
      await expectCode(store.delete(fresh.id), "session_not_found");
      expect((await store.list()).sessions.map((s) => s.id)).toEqual([fork.id]);
    });

    it("another process's writes are seen at once", async () => {
      const { home, store } = open();
      const other = openStoreForContract(kind, home);
      expect((await store.list()).total).toBe(0);
      const created = await other.create({ backend: "gemini", working_dir: "/w" });
      expect((await store.list()).sessions.map((s) => s.id)).toEqual([created.id]);
      await other.update(created.id, (s) => {
        s.turn_count = 7;
      });
      expect((await store.list()).sessions[0]?.turn_count).toBe(7);
    });

    it("8 processes updating the same and their own sessions 200 times lose no update", async () => {
      const { home, store } = open();
      const shared = await store.create({ backend: "claude", working_dir: "/w" });
      const own = await Promise.all(
        Array.from({ length: 8 }, () => store.create({ backend: "codex", working_dir: "/w" })),
      );
      const codes = await Promise.all(
        own.map((session) => runWorker(kind, home, ["update-many", shared.id, session.id, "200"])),
      );
      expect(codes).toEqual(Array(8).fill(0));
      expect((await store.get(shared.id)).turn_count).toBe(800);
      for (const session of own) expect((await store.get(session.id)).turn_count).toBe(100);
      const listed = await store.list();
      expect(listed.sessions.find((s) => s.id === shared.id)?.turn_count).toBe(800);
    }, 180_000);

    it("a writer killed with SIGKILL leaves every session parseable and the index repairable", async () => {
      const { home, store } = open();
      const child = spawn(process.execPath, workerArgs(kind, home, ["write-forever"]), {
        stdio: ["ignore", "pipe", "inherit"],
      });
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("close", resolve));
      if (kind === "file") {
        const directory = join(home, "sessions");
        const files = readdirSync(directory).filter((name) => /^[a-f0-9]{32}\.json$/.test(name));
        expect(files.length).toBeGreaterThan(0);
        for (const name of files) expect(() => JSON.parse(readFileSync(join(directory, name), "utf8"))).not.toThrow();
        const page = await store.list();
        expect(page.total).toBe(files.length);
        expect(await store.repair?.()).toBe(files.length);
      }
      // A new write goes through: no lock was left behind for good.
      await store.create({ backend: "claude", working_dir: "/w" });
    }, 60_000);

    if (kind === "file") {
      it("a corrupt or truncated file is reported and skipped, never fatal to list", async () => {
        const { home, store } = open();
        const good = await store.create({ backend: "claude", working_dir: "/w" });
        const broken = await store.create({ backend: "claude", working_dir: "/w" });
        const directory = join(home, "sessions");
        writeFileSync(join(directory, `${broken.id}.json`), '{"id": "trunc');
        writeFileSync(join(directory, `${"e".repeat(32)}.json`), "garbage");
        writeFileSync(join(directory, "index.json"), "{not json");
        writeFileSync(join(directory, "index.log"), "garbage line\n");
        const fresh = openStoreForContract(kind, home);
        const page = await fresh.list();
        expect(page.sessions.map((s) => s.id)).toEqual([good.id]);
        expect(fresh.problems()).toHaveLength(2);
        await expectCode(fresh.get(broken.id), "session_error");
      });

      it("files are private: sessions 0600, the folder 0700", async () => {
        const { home, store } = open();
        const session = await store.create({ backend: "claude", working_dir: "/w" });
        const { statSync } = await import("node:fs");
        expect(statSync(join(home, "sessions", `${session.id}.json`)).mode & 0o777).toBe(0o600);
        expect(statSync(join(home, "sessions")).mode & 0o777).toBe(0o700);
      });

      it("recovers a stale lock left by a dead process", async () => {
        const { home, store } = open();
        const { mkdirSync, utimesSync } = await import("node:fs");
        const lockDir = join(home, "sessions", "store.lock");
        mkdirSync(lockDir);
        const old = new Date(Date.now() - 60_000);
        utimesSync(lockDir, old, old);
        await expect(store.create({ backend: "claude", working_dir: "/w" })).resolves.toBeTruthy();
      });
    }
  });
}
