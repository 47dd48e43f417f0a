/**
 * The CLI's answer to a live run's permission requests: asked on the terminal, one at a time, when
 * there is someone at it (stdin and stderr are terminals). Anything but yes is a deny.
 */
import type { PermissionDecision, PermissionHandler, PermissionRequest } from "../core/permissions.js";
import { askLine } from "./ask.js";

const INPUT_PREVIEW = 400;

/** The handler for a run on this terminal, or undefined when no one is there to ask. */
export function terminalPermissions(
  ask: (question: string) => Promise<string | undefined> = askLine,
  interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY),
): PermissionHandler | undefined {
  if (!interactive) return undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return (request, context) => {
    const answer = queue.then(async (): Promise<PermissionDecision> => {
      if (context.signal.aborted) return { behavior: "deny", message: "the run ended" };
      const reply = await ask(question(context.backend, request));
      return /^(y|yes)$/i.test(reply ?? "")
        ? { behavior: "allow" }
        : { behavior: "deny", message: "the user declined this tool call" };
    });
    queue = answer.catch(() => undefined);
    return answer;
  };
}

function question(backend: string, request: PermissionRequest): string {
  const input = typeof request.input === "string" ? request.input : JSON.stringify(request.input);
  const shown = input && input.length > INPUT_PREVIEW ? `${input.slice(0, INPUT_PREVIEW)}…` : input;
  const about = request.description ? `\n  ${request.description}` : "";
  return `\nclinvk: ${backend} asks to run ${request.tool}${shown ? ` ${shown}` : ""}${about}\n  allow? [y/N] `;
}
