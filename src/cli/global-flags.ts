/**
 * The Go clinvoker's global flags (`--config -b -m -w -o --dry-run --ephemeral`): each works before a
 * subcommand or after it, on every command where it means something, and is refused where it does not.
 * Commander keeps the options before a subcommand to the root (positional options, so that e.g.
 * `sessions clean --dry-run` stays clean's own), so `passRootFlags` hands them on to the subcommand.
 */
import { type Command, Option } from "commander";
import { usageError } from "./fail.js";
import { parseOutputFormat } from "./options.js";

const GLOBAL_OPTIONS = {
  config: () => new Option("--config <file>", "config file to use (default: $CLINVK_HOME/config.yaml)"),
  backend: () =>
    new Option("-b, --backend <name>", "backend to run: claude, codex or gemini (default: default_backend)"),
  model: () => new Option("-m, --model <model>", "model name or alias (fast, balanced, best)"),
  workdir: () => new Option("-w, --workdir <dir>", "directory the CLI works in (default: the current one)"),
  outputFormat: () =>
    new Option("-o, --output-format <format>", "text, json or stream-json (NDJSON of unified events)").default(
      undefined,
      "output.format, json",
    ),
  dryRun: () => new Option("--dry-run", "print the exact command that would run, and run nothing"),
  ephemeral: () => new Option("--ephemeral", "leave no session behind"),
};

export type GlobalFlag = keyof typeof GLOBAL_OPTIONS;

/** Adds global flags to a command: `true` keeps the common description, a string is the command's own. */
export function addGlobalOptions(command: Command, flags: Partial<Record<GlobalFlag, true | string>>): Command {
  for (const [name, description] of Object.entries(flags)) {
    const option = GLOBAL_OPTIONS[name as GlobalFlag]();
    if (typeof description === "string") option.description = description;
    command.addOption(option);
  }
  return command;
}

/** Why a flag means nothing to a command, where a hint helps more than "see its help". */
const REFUSAL_HINTS: Record<string, Record<string, string>> = {
  compare: { backend: "compare takes --backends claude,codex (or --all-backends)" },
  resume: { workdir: "a session goes on in its own working directory" },
};

/**
 * A preAction hook of the root: the root's flags given before the subcommand become the subcommand's
 * (its own, given after it, win); a flag the subcommand does not take is a usage error. `-o` on a
 * command with `--json` is that switch: `-o json` is `--json`, `-o text` the default.
 */
export function passRootFlags(root: Command, action: Command): void {
  // `clinvk --config x help serve` is still help.
  if (action === root || action.name() === "help") return;
  const path = commandPath(action);
  for (const option of root.options) {
    const key = option.attributeName();
    if (root.getOptionValueSource(key) !== "cli") continue;
    if (!action.options.some((own) => own.attributeName() === key)) {
      const hint = REFUSAL_HINTS[path]?.[key] ?? `\`clinvk help ${path}\` lists the flags it takes`;
      throw usageError(`${option.long} has no meaning for \`clinvk ${path}\``, hint);
    }
    if (action.getOptionValueSource(key) !== "cli") {
      action.setOptionValueWithSource(key, root.getOptionValue(key), "cli");
    }
  }
  const hasJsonSwitch = action.options.some((own) => own.attributeName() === "json");
  const format = action.getOptionValue("outputFormat") as string | undefined;
  if (hasJsonSwitch && format !== undefined) {
    const parsed = parseOutputFormat(format);
    if (parsed === "stream-json") {
      throw usageError(`-o stream-json has no meaning for \`clinvk ${path}\``, "use -o json or -o text");
    }
    if (parsed === "json") action.setOptionValueWithSource("json", true, "cli");
  }
}

/** `sessions list` for the list command under sessions. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
