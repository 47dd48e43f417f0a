/**
 * Shell completion scripts, generated from the command tree: commands, flags, the values of
 * flags with fixed choices, and session ids (asked of `clinvk __complete sessions` at tab time).
 */
import type { Command, Option } from "commander";
import { BACKEND_NAMES } from "../core/backend-names.js";
import { APPROVAL_MODES, SANDBOX_MODES } from "../core/modes.js";
import { OUTPUT_FORMATS } from "../core/request.js";
import { SESSION_STATUSES } from "../sessions/session.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** Flags whose values can be completed, by long name. */
const VALUES: Record<string, readonly string[]> = {
  "--backend": BACKEND_NAMES,
  "--backends": BACKEND_NAMES,
  "--output-format": OUTPUT_FORMATS,
  "--approval-mode": APPROVAL_MODES,
  "--sandbox-mode": SANDBOX_MODES,
  "--status": SESSION_STATUSES,
  "--log-level": ["fatal", "error", "warn", "info", "debug", "trace"],
};

/** Commands whose first argument is a session id. */
const TAKES_SESSION = ["resume", "sessions show", "sessions delete", "sessions tag", "sessions fork"];

interface Node {
  path: string;
  command: Command;
}

function walk(command: Command, prefix = ""): Node[] {
  const nodes: Node[] = [{ path: prefix, command }];
  for (const child of command.commands) {
    if (child.name().startsWith("__")) continue;
    nodes.push(...walk(child, prefix ? `${prefix} ${child.name()}` : child.name()));
  }
  return nodes;
}

const flagsOf = (command: Command) =>
  command.options
    .filter((o: Option) => !o.hidden)
    .flatMap((o: Option) => [o.long, o.short].filter((f): f is string => Boolean(f)));
const takesValue = (option: Option) => option.required || option.optional;
const words = (list: readonly string[]) => list.join(" ");

export function completionScript(program: Command, shell: Shell): string {
  const nodes = walk(program);
  switch (shell) {
    case "fish":
      return fishScript(nodes);
    case "zsh":
      return `#compdef clinvk\n# clinvk completion for zsh, through bash's completion system.\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(nodes)}`;
    default:
      return bashScript(nodes);
  }
}

function bashScript(nodes: Node[]): string {
  const cases = nodes
    .map(({ path, command }) => {
      const subcommands = command.commands.filter((c) => !c.name().startsWith("__")).map((c) => c.name());
      const valueFlags = command.options.filter(takesValue).flatMap((o) => [o.long, o.short].filter(Boolean));
      return `    "${path}") subs="${words(subcommands)}"; flags="${words(flagsOf(command))}"; valued="${words(valueFlags as string[])}";;`;
    })
    .join("\n");
  const values = Object.entries(VALUES)
    .map(([flag, list]) => `    ${flag}) COMPREPLY=($(compgen -W "${words(list)}" -- "$cur")); return;;`)
    .join("\n");
  return `# clinvk completion for bash: source <(clinvk completion bash)
_clinvk() {
  local cur prev path="" word i subs flags valued
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${values}
    -b) COMPREPLY=($(compgen -W "${words(BACKEND_NAMES)}" -- "$cur")); return;;
    -o) COMPREPLY=($(compgen -W "${words(OUTPUT_FORMATS)}" -- "$cur")); return;;
  esac
  # Walk the words typed so far to find the (sub)command, skipping flags and their values.
  local positionals=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$path" in
${cases}
    esac
    if [[ "$word" == -* ]]; then
      [[ " $valued " == *" $word "* ]] && ((i++))
      continue
    fi
    if [[ " $subs " == *" $word "* ]]; then path="\${path:+$path }$word"; positionals=0; else ((positionals++)); fi
  done
  case "$path" in
${cases}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$flags" -- "$cur")); return; fi
  case "$path" in
    ${TAKES_SESSION.map((p) => `"${p}"`).join("|")})
      if ((positionals == 0)); then COMPREPLY=($(compgen -W "$(clinvk __complete sessions 2>/dev/null | cut -f1)" -- "$cur")); return; fi;;
  esac
  COMPREPLY=($(compgen -W "$subs" -- "$cur"))
}
complete -o default -F _clinvk clinvk
`;
}

function fishScript(nodes: Node[]): string {
  const lines = ["# clinvk completion for fish: clinvk completion fish | source", "complete -c clinvk -f"];
  const quote = (text: string) => text.replace(/'/g, "\\'");
  for (const { path, command } of nodes) {
    const parts = path ? path.split(" ") : [];
    const inside = parts.length ? `__fish_seen_subcommand_from ${parts.at(-1)}` : "__fish_use_subcommand";
    const leaf = parts.length
      ? `; and not __fish_seen_subcommand_from ${words(command.commands.map((c) => c.name()))}`
      : "";
    for (const child of command.commands.filter((c) => !c.name().startsWith("__"))) {
      const condition = parts.length ? inside : "__fish_use_subcommand";
      lines.push(`complete -c clinvk -n '${condition}' -a ${child.name()} -d '${quote(child.description())}'`);
    }
    for (const option of command.options.filter((o) => !o.hidden)) {
      const long = option.long ? ` -l ${option.long.replace(/^--/, "")}` : "";
      const short = option.short ? ` -s ${option.short.replace(/^-/, "")}` : "";
      const values =
        option.long && VALUES[option.long]
          ? ` -x -a '${words(VALUES[option.long] as readonly string[])}'`
          : takesValue(option)
            ? " -r"
            : "";
      const condition = parts.length ? `${inside}${command.commands.length ? leaf : ""}` : "__fish_use_subcommand";
      lines.push(`complete -c clinvk -n '${condition}'${long}${short}${values} -d '${quote(option.description)}'`);
    }
    if (TAKES_SESSION.includes(path)) {
      lines.push(`complete -c clinvk -n '${inside}' -a '(clinvk __complete sessions 2>/dev/null)'`);
    }
  }
  return `${lines.join("\n")}\n`;
}
