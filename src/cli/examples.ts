/** The examples every command's --help ends with, by command path. */
import type { Command } from "commander";

export const EXAMPLES: Record<string, string[]> = {
  resume: [
    'clinvk resume --last "and then?"',
    'clinvk resume 3f2a1c "add a test for that"',
    "clinvk resume -i                   # pick from a list",
    'clinvk resume --last --here -b codex -o text "go on"',
  ],
  sessions: ["clinvk sessions list", "clinvk sessions show 3f2a1c", "clinvk sessions clean --older-than 7d --dry-run"],
  "sessions list": ["clinvk sessions list -b claude --status completed -n 20", "clinvk sessions list --tag ci --json"],
  "sessions show": ["clinvk sessions show 3f2a1c", "clinvk sessions show 3f2a1c --json"],
  "sessions delete": ["clinvk sessions delete 3f2a1c"],
  "sessions clean": ["clinvk sessions clean --older-than 30d --dry-run", "clinvk sessions clean --older-than 12h"],
  "sessions tag": ["clinvk sessions tag 3f2a1c review,urgent", "clinvk sessions tag 3f2a1c urgent --remove"],
  "sessions fork": ['clinvk sessions fork 3f2a1c "try another approach"', "clinvk sessions fork 3f2a1c --json"],
  "sessions repair": ["clinvk sessions repair   # after a crash, or when `sessions list` reports a damaged index"],
  parallel: [
    "clinvk parallel -f tasks.yaml",
    "clinvk parallel -f tasks.json --max-parallel 5 --fail-fast --json",
    "cat tasks.yaml | clinvk parallel --output-dir out/",
  ],
  chain: ["clinvk chain -f review-chain.yaml", "clinvk chain -f steps.json --json --continue-on-failure"],
  compare: [
    'clinvk compare --all-backends "explain src/main.ts"',
    'clinvk compare --backends claude,codex --sequential --json "hi"',
  ],
  serve: [
    "clinvk serve                                   # 127.0.0.1:8080",
    "CLINVK_API_KEYS=secret clinvk serve --host 0.0.0.0 --port 9000",
  ],
  mcp: [
    "claude mcp add clinvoker -- clinvk mcp     # Claude Code (see docs/guides/mcp.md)",
    "codex mcp add clinvoker -- clinvk mcp      # Codex",
    "gemini mcp add clinvoker clinvk mcp        # Gemini CLI",
  ],
  help: ["clinvk help parallel", "clinvk help sessions list"],
  version: ["clinvk version"],
  doctor: ["clinvk doctor", "clinvk doctor --json"],
  config: ["clinvk config show --sources", "clinvk config set backends.claude.model opus"],
  "config show": ["clinvk config show", "clinvk config show --json", "clinvk config show --sources"],
  "config get": ["clinvk config get server.port"],
  "config set": ["clinvk config set default_backend codex", "clinvk config set session.default_tags work,review"],
  "config path": ["clinvk config path"],
  "config validate": ["clinvk config validate", "clinvk --config ./clinvk.yaml config validate"],
  "config init": ["clinvk config init", "clinvk --config ./clinvk.yaml config init --force"],
};

/** Adds the examples to every command that has some, and returns the paths that have none. */
export function addExamples(command: Command, path: string[] = []): string[] {
  const missing: string[] = [];
  const key = path.join(" ");
  const lines = EXAMPLES[key];
  if (lines) command.addHelpText("after", `\nExamples:\n${lines.map((line) => `  ${line}`).join("\n")}`);
  else if (key) missing.push(key);
  for (const child of command.commands) {
    if (!child.name().startsWith("__")) missing.push(...addExamples(child, [...path, child.name()]));
  }
  return missing;
}
