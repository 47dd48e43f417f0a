import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { CLI, runCli } from "./run-cli.js";

/** Runs the generated bash completion for a command line typed up to the cursor (at the end). */
function complete(script: string, typed: string, env: Record<string, string>): string[] {
  const words = typed.split(" ");
  const program = `${script}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})
COMP_CWORD=${words.length - 1}
_clinvk
printf '%s\\n' "\${COMPREPLY[@]}"`;
  return execFileSync("bash", ["-c", program], { encoding: "utf8", env: { ...process.env, ...env } })
    .split("\n")
    .filter(Boolean);
}

describe("clinvk completion", () => {
  it("bash completes commands, subcommands, flags, flag values and session ids", async () => {
    const bin = mkdtempSync(join(tmpdir(), "clinvk-bin-"));
    writeFileSync(join(bin, "clinvk"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, "clinvk"), 0o755);
    const home = mkdtempSync(join(tmpdir(), "clinvk-home-"));
    const session = await new FileSessionStore(home).create({
      backend: "codex",
      working_dir: "/w",
      initial_prompt: "hi",
    });
    const env = { PATH: `${bin}:${process.env.PATH}`, CLINVK_HOME: home };
    const script = (await runCli(["completion", "bash"], { env: { ...process.env, ...env } })).stdout;

    expect(complete(script, "clinvk ses", env)).toEqual(["sessions"]);
    expect(complete(script, "clinvk sessions ", env).sort()).toEqual([
      "clean",
      "delete",
      "fork",
      "list",
      "repair",
      "show",
      "tag",
    ]);
    expect(complete(script, "clinvk -b ", env)).toEqual(["claude", "codex", "gemini"]);
    expect(complete(script, "clinvk -o stream", env)).toEqual(["stream-json"]);
    expect(complete(script, "clinvk resume --la", env)).toEqual(["--last"]);
    expect(complete(script, "clinvk sessions show ", env)).toEqual([session.id.slice(0, 8)]);
    expect(complete(script, "clinvk --backend codex resume ", env)).toEqual([session.id.slice(0, 8)]);
  });

  it("zsh and fish scripts come from the same tree; an unknown shell is a usage error", async () => {
    const zsh = await runCli(["completion", "zsh"]);
    expect(zsh.stdout).toContain("bashcompinit");
    expect(zsh.stdout).toContain("complete -o default -F _clinvk clinvk");
    const fish = (await runCli(["completion", "fish"])).stdout;
    expect(fish).toContain("complete -c clinvk -n '__fish_use_subcommand' -a parallel");
    expect(fish).toContain("-l backend -s b -x -a 'claude codex gemini'");
    expect(fish).toContain("(clinvk __complete sessions 2>/dev/null)");
    expect((await runCli(["completion", "powershell"])).code).toBe(3);
  });
});
