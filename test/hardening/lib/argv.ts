/**
 * Reads a CLI's command line the way its own parser would (commander for claude, clap for codex, yargs for
 * gemini) and says what is wrong with it: a token read as a flag that clinvoker did not mean as one, a value that
 * the parser would take for a flag, a prompt that is not where the CLI reads its prompt.
 */
import type { Backend } from "../../../src/backends/backend.js";
import { claude } from "../../../src/backends/claude.js";
import { codex } from "../../../src/backends/codex.js";
import { gemini } from "../../../src/backends/gemini.js";
import type { BackendName } from "./paths.js";

/** The flags clinvoker itself writes, and whether each takes a value. */
const OWN: Record<BackendName, Record<string, boolean>> = {
  claude: {
    "-p": false,
    "--output-format": true,
    "--verbose": false,
    "--include-partial-messages": false,
    "--model": true,
    "--permission-mode": true,
    "--max-turns": true,
    "--system-prompt": true,
    "--allowedTools": true,
    "--add-dir": true,
    "--no-session-persistence": false,
    "--resume": true,
  },
  codex: {
    "--json": false,
    "--skip-git-repo-check": false,
    "--model": true,
    "-c": true,
    "--add-dir": true,
    "--ephemeral": false,
  },
  gemini: {
    "--output-format": true,
    "--skip-trust": false,
    "--model": true,
    "--approval-mode": true,
    "--sandbox": false,
    "--allowed-tools": true,
    "--include-directories": true,
    "--resume": true,
  },
};

const BACKENDS: Record<BackendName, Backend> = { claude, codex, gemini };

function flagTable(backend: BackendName): Map<string, boolean> {
  const table = new Map(Object.entries(OWN[backend]));
  for (const spec of BACKENDS[backend].extraFlags) for (const name of spec.names) table.set(name, spec.takesValue);
  return table;
}

/**
 * Problems with `args` (the CLI's argv without the executable) for a run whose prompt is `prompt` (undefined: any
 * single token in the prompt's place).
 */
export function argvProblems(backend: BackendName, args: readonly string[], prompt: string | undefined): string[] {
  const problems: string[] = [];
  const table = flagTable(backend);
  let i = 0;
  if (backend === "codex") {
    if (args[0] !== "exec") problems.push(`codex argv does not start with exec: ${args[0]}`);
    i = args[1] === "resume" ? 3 : 1;
  }
  // Where the options end: `--` for claude and codex; gemini's prompt is the last token, as --prompt=<text>.
  const end = backend === "gemini" ? args.length - 1 : args.indexOf("--");
  if (end < 0) return [...problems, "no -- before the prompt"];
  for (; i < end; i++) {
    const token = args[i] as string;
    if (!token.startsWith("-")) {
      problems.push(`a bare word among the options: ${JSON.stringify(token)}`);
      continue;
    }
    const eq = token.indexOf("=");
    const name = eq === -1 ? token : token.slice(0, eq);
    const takesValue = table.get(name) ?? table.get(name.toLowerCase());
    if (takesValue === undefined) {
      problems.push(`a flag clinvoker does not write or allow: ${JSON.stringify(token)}`);
      continue;
    }
    if (takesValue && eq === -1) {
      const value = args[i + 1];
      // commander would take it as the value; clap and yargs read a token that starts with - as a flag.
      if (value === undefined || i + 1 >= end) problems.push(`${name} has no value`);
      else if (value.startsWith("-"))
        problems.push(`the value of ${name} would be read as a flag: ${JSON.stringify(value)}`);
      i++;
    } else if (!takesValue && eq !== -1) {
      problems.push(`${name} takes no value: ${JSON.stringify(token)}`);
    }
  }
  if (backend === "gemini") {
    // gemini has no system-prompt option: a system prompt heads the prompt, in <system> tags.
    const last = (args[end] ?? "").replace(/^--prompt=<system>\n[\s\S]*\n<\/system>\n\n/, "--prompt=");
    if (prompt === undefined ? !last.startsWith("--prompt=") : last !== `--prompt=${prompt}`)
      problems.push(`the last token is not --prompt=<the prompt>: ${JSON.stringify(args[end])}`);
  } else {
    const rest = args.slice(end + 1);
    if (rest.length !== 1 || (prompt !== undefined && rest[0] !== prompt))
      problems.push(`after --, not exactly the prompt: ${JSON.stringify(rest)}`);
  }
  return problems;
}
