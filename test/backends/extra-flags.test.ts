import { describe, expect, it } from "vitest";
import { claude } from "../../src/backends/claude.js";
import { codex } from "../../src/backends/codex.js";
import { checkExtraFlags } from "../../src/backends/extra-flags.js";
import { gemini } from "../../src/backends/gemini.js";

describe("extra flag allowlist", () => {
  it("accepts allowed flags with separate or = values", () => {
    expect(
      checkExtraFlags("claude", ["--effort", "high", "--max-turns=3", "--fork-session"], claude.extraFlags),
    ).toEqual(["--effort", "high", "--max-turns=3", "--fork-session"]);
    expect(checkExtraFlags("codex", ["-m", "o3", "--ephemeral"], codex.extraFlags)).toHaveLength(3);
    expect(checkExtraFlags("gemini", ["--YOLO"], gemini.extraFlags)).toEqual(["--YOLO"]);
  });

  it.each([
    ["claude", ["--dangerously-skip-permissions"], /not allowed for claude: --dangerously-skip-permissions/],
    ["claude", ["--mcp-config", "x.json"], /not allowed/],
    ["claude", ["--settings={}"], /not allowed/],
    ["claude", ["--output-format", "text"], /not allowed/],
    ["codex", ["-c", "model_provider=evil"], /not allowed/],
    ["codex", ["--dangerously-bypass-approvals-and-sandbox"], /not allowed/],
    ["gemini", ["--debug"], /not allowed/],
    ["claude", ["rm -rf /"], /not a flag/],
    ["claude", ["--effort"], /needs a value/],
    ["gemini", ["--model", "--version"], /needs a value, not "--version"/],
    ["claude", ["--add-dir", "--dangerously-skip-permissions"], /needs a value/],
    ["claude", ["--fork-session=yes"], /takes no value/],
  ] as const)("%s refuses %j", (name, tokens, message) => {
    const backend = { claude, codex, gemini }[name];
    expect(() => checkExtraFlags(name, tokens, backend.extraFlags)).toThrow(message);
  });

  it("the error is invalid_request with the allowed list as a hint", () => {
    try {
      checkExtraFlags("codex", ["--oss"], codex.extraFlags);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: "invalid_request" });
      expect((error as { hint: string }).hint).toContain("--model");
    }
  });
});
