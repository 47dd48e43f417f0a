/**
 * Extra flags are the escape hatch to a CLI's own options. They are checked against a per-backend
 * allowlist so that no caller (the HTTP API least of all) can switch off sandboxes, load arbitrary
 * MCP servers or settings, or break clinvoker's own control of the output format.
 */
import { ClinvkError } from "../engine/errors.js";

export interface FlagSpec {
  /** Every spelling of the flag, e.g. ["--model", "-m"]. */
  names: readonly string[];
  takesValue: boolean;
}

export const flag = (takesValue: boolean, ...names: string[]): FlagSpec => ({ names, takesValue });

/** Validates `tokens` and returns them unchanged; throws `invalid_request` naming the bad token. */
export function checkExtraFlags(backend: string, tokens: readonly string[], allowed: readonly FlagSpec[]): string[] {
  const byName = new Map<string, FlagSpec>();
  for (const spec of allowed) for (const name of spec.names) byName.set(name.toLowerCase(), spec);

  const allowedList = () => allowed.map((spec) => spec.names[0]).join(", ");
  let expectValueFor: string | undefined;
  for (const token of tokens) {
    if (typeof token !== "string" || token.includes("\0")) {
      throw new ClinvkError("invalid_request", `invalid extra flag for ${backend}: ${JSON.stringify(token)}`);
    }
    if (expectValueFor !== undefined) {
      // A value that looks like a flag would be read as one by the CLI.
      if (token.startsWith("-")) {
        throw new ClinvkError(
          "invalid_request",
          `extra flag ${expectValueFor} for ${backend} needs a value, not "${token}"`,
          `give a value that starts with - as ${expectValueFor}=${token}`,
        );
      }
      expectValueFor = undefined;
      continue;
    }
    if (!token.startsWith("-")) {
      throw new ClinvkError(
        "invalid_request",
        `invalid extra flag for ${backend}: "${token}" is not a flag (flags start with - or --)`,
        "give a value right after the flag that takes it, or as --flag=value",
      );
    }
    const eq = token.indexOf("=");
    const name = (eq === -1 ? token : token.slice(0, eq)).toLowerCase();
    const spec = byName.get(name);
    if (!spec) {
      throw new ClinvkError(
        "invalid_request",
        `extra flag not allowed for ${backend}: ${name}`,
        `allowed extra flags for ${backend}: ${allowedList()}`,
      );
    }
    if (!spec.takesValue && eq !== -1) {
      throw new ClinvkError("invalid_request", `extra flag ${name} for ${backend} takes no value`);
    }
    if (spec.takesValue && eq === -1) expectValueFor = name;
  }
  if (expectValueFor !== undefined) {
    throw new ClinvkError("invalid_request", `extra flag ${expectValueFor} for ${backend} needs a value`);
  }
  return [...tokens];
}
