/** How the CLI reports a failure: one line naming the problem, one with the fix, never a stack. */
import { ClinvkError, type ErrorInfo, toClinvkError } from "../core/errors.js";
import { paintFor } from "./color.js";
import { ExitCode, exitCodeFor } from "./exit-codes.js";

export function printError(info: ErrorInfo, stream: NodeJS.WriteStream = process.stderr): void {
  // Before the config is read (or when it is broken) only NO_COLOR, FORCE_COLOR and the terminal decide.
  stream.write(`${paintFor(stream).red("clinvk:")} ${info.message}\n`);
  if (info.hint) stream.write(`  hint: ${info.hint}\n`);
}

/** Prints any thrown value as a clinvoker error and returns the exit code it maps to. */
export function reportFailure(error: unknown): number {
  const clinvkError = toClinvkError(error);
  printError(clinvkError.toInfo());
  if (clinvkError.code === "internal" && process.env.CLINVK_DEBUG && error instanceof Error) {
    process.stderr.write(`${error.stack}\n`);
  }
  return clinvkError.code === "internal" ? ExitCode.general : exitCodeFor(clinvkError.code);
}

export function usageError(message: string, hint?: string): ClinvkError {
  return new ClinvkError("invalid_request", message, hint);
}
