/**
 * A prompt of one or two words whose first is a command name with a typo (`clinvk sesions list`) is
 * refused with "did you mean …?" rather than sent to an agent, which would answer it (and continue a
 * session with it). `--` before the prompt, or quoting two words as one, sends it anyway.
 */
import type { Command } from "commander";
import { closest } from "../config/closest.js";
import { usageError } from "./fail.js";

export function refuseMistypedCommand(
  words: readonly string[],
  program: Command,
  argv: readonly string[] = process.argv,
): void {
  const first = words[0]?.toLowerCase();
  if (first === undefined || words.length > 2 || first.length < 3 || /\s/.test(first)) return;
  if (argv.slice(2).includes("--")) return;
  const names = program.commands.filter((c) => !c.name().startsWith("__")).flatMap((c) => [c.name(), ...c.aliases()]);
  // One typo in a short name, two in a longer one: "sevre" is serve, "help" is no typo of "hello".
  const match = closest(first, names, first.length <= 5 ? 1 : 2);
  if (match === undefined) return;
  const rest = words.slice(1).join(" ");
  throw usageError(
    `"${words.join(" ")}" looks like a command, not a prompt: did you mean \`clinvk ${match}${rest ? ` ${rest}` : ""}\`?`,
    `to send it to the agent as a prompt, put it after --: clinvk -- ${words.join(" ")}`,
  );
}
