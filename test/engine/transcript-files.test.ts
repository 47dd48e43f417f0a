// Carrying the CLIs' own transcripts between instances: found by backend session id in each CLI's own
// folder (the layouts the real CLIs wrote, shared/reference/cli-formats.md), restored into another
// HOME at the same place, checked, bounded, and never read or written outside those folders.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectTranscript, restoreTranscript, transcriptRoot } from "../../src/engine/transcript-files.js";
import { sha256 } from "../../src/sessions/transcript.js";

const ID = "ab5f3949-f0a8-40ac-af55-5d541dc4f516";
const CWD = "/tmp/clinvk-e2e-x/work";

function homes() {
  const root = mkdtempSync(join(tmpdir(), "clinvk-transcripts-"));
  const env = (name: string) => ({ HOME: join(root, name), CODEX_HOME: join(root, name, ".codex") });
  return { root, a: env("a"), b: env("b") };
}

function put(path: string, content: string) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** Each CLI's transcript of session ID, as the real CLIs lay them out. */
function writeLayouts(env: { HOME: string; CODEX_HOME: string }) {
  const claude = join(env.HOME, ".claude", "projects", "-tmp-clinvk-e2e-x-work", `${ID}.jsonl`);
  const codex = join(env.CODEX_HOME, "sessions", "2026", "12", "01", `rollout-2026-12-01T23-36-45-${ID}.jsonl`);
  const gemini = join(env.HOME, ".gemini", "tmp", "work", "chats", `session-2026-12-01T23-36-${ID.slice(0, 8)}.jsonl`);
  put(claude, '{"type":"user","message":"say hi"}\n');
  put(codex, '{"type":"session_meta"}\n');
  put(gemini, `{"sessionId":"${ID}","kind":"main"}\n`);
  put(join(env.HOME, ".gemini", "tmp", "work", ".project_root"), CWD);
  // Another session's files, which are never carried.
  put(join(env.HOME, ".claude", "projects", "-tmp-clinvk-e2e-x-work", "other.jsonl"), "{}\n");
  put(join(env.HOME, ".gemini", "tmp", "work", "chats", `session-2026-12-01T23-37-${ID.slice(0, 8)}.jsonl`), "{}");
  return { claude, codex, gemini };
}

describe("CLI transcripts between instances", () => {
  it("each CLI's files are found by session id and land at the same place in another HOME", async () => {
    const { a, b } = homes();
    writeLayouts(a);
    const expected = {
      claude: [`-tmp-clinvk-e2e-x-work/${ID}.jsonl`],
      codex: [`2026/12/01/rollout-2026-12-01T23-36-45-${ID}.jsonl`],
      gemini: [`work/chats/session-2026-12-01T23-36-${ID.slice(0, 8)}.jsonl`, "work/.project_root"],
    } as const;
    for (const backend of ["claude", "codex", "gemini"] as const) {
      const { files, skipped } = await collectTranscript(backend, a, ID, CWD);
      expect(skipped).toEqual([]);
      expect(files.map((f) => f.path)).toEqual(expected[backend]);
      for (const file of files) expect(file.sha256).toBe(sha256(file.content));
      expect(await restoreTranscript(backend, b, files)).toEqual(expected[backend]);
      for (const path of expected[backend]) {
        const from = join(transcriptRoot(backend, a) as string, path);
        expect(readFileSync(join(transcriptRoot(backend, b) as string, path), "utf8")).toBe(readFileSync(from, "utf8"));
      }
      // Present and equal: nothing to write.
      expect(await restoreTranscript(backend, b, files)).toEqual([]);
    }
  });

  it("an older copy on this instance is replaced by the stored newest turn", async () => {
    const { a, b } = homes();
    writeLayouts(a);
    const { claude } = writeLayouts(b);
    writeFileSync(claude, "stale\n");
    const { files } = await collectTranscript("claude", a, ID, CWD);
    expect(await restoreTranscript("claude", b, files)).toHaveLength(1);
    expect(readFileSync(join(transcriptRoot("claude", b) as string, files[0]?.path as string), "utf8")).toContain(
      "say hi",
    );
  });

  it("claude's folder is found from CLAUDE_CONFIG_DIR, codex's from CODEX_HOME, gemini's from GEMINI_CLI_HOME", () => {
    expect(transcriptRoot("claude", { HOME: "/h", CLAUDE_CONFIG_DIR: "/c" })).toBe("/c/projects");
    expect(transcriptRoot("claude", { HOME: "/h" })).toBe("/h/.claude/projects");
    expect(transcriptRoot("codex", { HOME: "/h" })).toBe("/h/.codex/sessions");
    expect(transcriptRoot("codex", { HOME: "/h", CODEX_HOME: "/x" })).toBe("/x/sessions");
    expect(transcriptRoot("gemini", { HOME: "/h", GEMINI_CLI_HOME: "/g" })).toBe("/g/.gemini/tmp");
    expect(transcriptRoot("gemini", {})).toBeUndefined();
  });

  it("a crafted id or stored path never reaches outside the CLI's folder", async () => {
    const { root, a, b } = homes();
    writeLayouts(a);
    for (const id of ["../../etc/passwd", "..", "a/b", "x", `${ID}/..`]) {
      expect((await collectTranscript("claude", a, id, CWD)).files).toEqual([]);
    }
    const content = Buffer.from("owned\n");
    for (const path of ["../escape.jsonl", "/etc/escape", "a/../../escape", "a//b", ""]) {
      await expect(restoreTranscript("claude", b, [{ path, sha256: sha256(content), content }])).rejects.toMatchObject({
        code: "session_error",
      });
    }
    expect(existsSync(join(b.HOME, ".claude", "escape.jsonl"))).toBe(false);
    expect(existsSync(join(root, "escape.jsonl"))).toBe(false);
  });

  it("a file whose checksum does not match is refused", async () => {
    const { a, b } = homes();
    writeLayouts(a);
    const { files } = await collectTranscript("codex", a, ID, CWD);
    const tampered = files.map((f) => ({ ...f, content: Buffer.from("tampered\n") }));
    await expect(restoreTranscript("codex", b, tampered)).rejects.toThrow(/does not match its checksum/);
    expect(existsSync(transcriptRoot("codex", b) as string)).toBe(false);
  });

  it("links are neither followed when saving nor written through when restoring", async () => {
    const { root, a, b } = homes();
    const secret = join(root, "secret.txt");
    writeFileSync(secret, "private key");
    const project = join(a.HOME, ".claude", "projects", "-tmp-clinvk-e2e-x-work");
    mkdirSync(project, { recursive: true });
    symlinkSync(secret, join(project, `${ID}.jsonl`));
    expect((await collectTranscript("claude", a, ID, CWD)).files).toEqual([]);

    writeLayouts(a);
    const { files } = await collectTranscript("gemini", a, ID, CWD);
    const outside = join(root, "outside");
    mkdirSync(outside);
    mkdirSync(join(b.HOME, ".gemini", "tmp"), { recursive: true });
    symlinkSync(outside, join(b.HOME, ".gemini", "tmp", "work"));
    expect(await restoreTranscript("gemini", b, files)).toEqual([]);
    expect(existsSync(join(outside, "chats"))).toBe(false);
  });

  it("a transcript over the bound stays local and says so", async () => {
    const { a } = homes();
    const { codex } = writeLayouts(a);
    truncateSync(codex, 33 * 1024 * 1024);
    const { files, skipped } = await collectTranscript("codex", a, ID, CWD);
    expect(files).toEqual([]);
    expect(skipped.join()).toMatch(/larger than the \d+-byte bound/);
  });
});
