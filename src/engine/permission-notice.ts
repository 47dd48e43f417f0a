/**
 * Tool calls a CLI refused under the approval mode. A CLI run by clinvoker cannot ask anyone, so a
 * refused Write would otherwise end in "Done." with no file: every face says so, with what to change.
 */
import type { BackendName, EventBody, PermissionDenial } from "../core/events.js";

export function permissionNotice(backend: BackendName, denials: readonly PermissionDenial[]): EventBody {
  const calls = denials.map((denial) => {
    const target = targetOf(denial.input);
    return target ? `${denial.tool} ${target}` : denial.tool;
  });
  return {
    type: "notice",
    level: "warn",
    message: `${backend} refused ${denials.length === 1 ? "a tool call" : `${denials.length} tool calls`} that needed approval: ${calls.join(", ")}`,
    hint: "allow edits with approval mode auto, or every tool with none (--approval-mode, or approval_mode in a request or task file)",
  };
}

/** The file or command a tool call was about, for one readable line. */
function targetOf(input: unknown): string | undefined {
  if (input === null || typeof input !== "object") return undefined;
  const fields = input as Record<string, unknown>;
  const value = fields.file_path ?? fields.path ?? fields.command ?? fields.cmd;
  if (typeof value !== "string") return undefined;
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}
