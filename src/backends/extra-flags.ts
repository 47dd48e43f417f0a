/**
 * Extra flags are the escape hatch to a CLI's own options. They are checked against a per-backend
 * allowlist so that no caller (the HTTP API least of all) can switch off sandboxes, load arbitrary
 * MCP servers or settings, or break clinvoker's own control of the output format.
 */
import { ClinvkError } from "../core/errors.js";

/**
 * What a flag grants the agent beyond the run's own options, so that a policy (the server's) can
 * judge it: `mode` switches approvals or the sandbox, `directory` gives it a directory (the value),
 * `tools` lets it use tools without asking (the value lists them), `agent` picks a predefined agent
 * that brings its own tools and permissions.
 */
export type FlagEffect = "mode" | "directory" | "tools" | "agent";

export interface FlagSpec {
  /** Every spelling of the flag, e.g. ["--model", "-m"]. */
  names: readonly string[];
  takesValue: boolean;
  effect?: FlagEffect;
}

export const flag = (takesValue: boolean, ...names: string[]): FlagSpec => ({ names, takesValue });
/** A flag that grants something: see FlagEffect. */
export const granting = (effect: FlagEffect, takesValue: boolean, ...names: string[]): FlagSpec => ({
  names,
  takesValue,
  effect,
});

export interface FlagGrant {
  /** The flag as given, lower-cased and without its value. */
  name: string;
  effect: FlagEffect;
  value?: string;
}

const specsByName = (allowed: readonly FlagSpec[]) => {
  const byName = new Map<string, FlagSpec>();
  for (const spec of allowed) for (const name of spec.names) byName.set(name.toLowerCase(), spec);
  return byName;
};

/** The grants among extra flags that checkExtraFlags accepted, each with its value. */
export function flagGrants(tokens: readonly string[], allowed: readonly FlagSpec[]): FlagGrant[] {
  const byName = specsByName(allowed);
  const grants: FlagGrant[] = [];
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    const eq = token.indexOf("=");
    const name = (eq === -1 ? token : token.slice(0, eq)).toLowerCase();
    const spec = byName.get(name);
    if (!spec) continue;
    const value = !spec.takesValue ? undefined : eq === -1 ? tokens[++index] : token.slice(eq + 1);
    if (spec.effect) grants.push({ name, effect: spec.effect, ...(value !== undefined ? { value } : {}) });
  }
  return grants;
}

/** Tool names in a tool list as the CLIs take them: split on commas and spaces outside parentheses. */
export function toolList(value: string): string[] {
  const tools: string[] = [];
  let current = "";
  let depth = 0;
  for (const char of value) {
    if (char === "(") depth++;
    if (char === ")") depth = Math.max(0, depth - 1);
    if (depth === 0 && (char === "," || /\s/.test(char))) {
      if (current) tools.push(current);
      current = "";
    } else current += char;
  }
  if (current) tools.push(current);
  return tools;
}

/** Validates `tokens` and returns them unchanged; throws `invalid_request` naming the bad token. */
export function checkExtraFlags(backend: string, tokens: readonly string[], allowed: readonly FlagSpec[]): string[] {
  const byName = specsByName(allowed);
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
