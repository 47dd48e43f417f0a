/** Parsing and checking of command-line option values, with errors that say what is allowed. */

import { BACKEND_NAMES, type BackendName, isBackendName } from "../core/backend-names.js";
import { ClinvkError } from "../core/errors.js";
import { APPROVAL_MODES, type ApprovalMode, SANDBOX_MODES, type SandboxMode } from "../core/modes.js";
import { OUTPUT_FORMATS, type OutputFormat } from "../core/request.js";
import { usageError } from "./fail.js";

export function parseSeconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0 || value.trim() === "") {
    throw usageError(`invalid ${flag} "${value}": expected a number of seconds ≥ 0`, `for example ${flag} 300`);
  }
  return Math.round(seconds * 1000);
}

export function parseCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw usageError(`invalid ${flag} "${value}": expected a whole number ≥ 0`);
  return Number(value);
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  const normalized = value.trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(normalized)) {
    throw usageError(`invalid ${flag} "${value}"`, `use one of: ${allowed.join(", ")}`);
  }
  return normalized as T;
}

export function parseOutputFormat(value: string | undefined): OutputFormat | undefined {
  // The Go clinvoker also accepted "default", which meant json.
  if (value?.trim().toLowerCase() === "default") return "json";
  return choice("--output-format", value, OUTPUT_FORMATS);
}

export const parseApprovalMode = (value: string | undefined): ApprovalMode | undefined =>
  choice("--approval-mode", value, APPROVAL_MODES);

export const parseSandboxMode = (value: string | undefined): SandboxMode | undefined =>
  choice("--sandbox-mode", value, SANDBOX_MODES);

/** A `-b` value: one of the backends, case-insensitive. */
export function parseBackend(value: string | undefined): BackendName | undefined {
  if (value === undefined) return undefined;
  const name = value.trim().toLowerCase();
  if (!isBackendName(name)) {
    throw new ClinvkError("backend_unknown", `unknown backend "${value}"`, `use one of: ${BACKEND_NAMES.join(", ")}`);
  }
  return name;
}

export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}
