/**
 * What to say when a CLI ended without telling us how its run went: it crashed, was killed, exited
 * non-zero with only stderr, or exited zero with no answer at all.
 */
import type { ErrorInfo } from "../core/errors.js";
import type { ProcessOutcome } from "./backend.js";
import { stderrSummary } from "./classify.js";

export function failureWithoutResult(cli: string, outcome: ProcessOutcome, noise: readonly RegExp[] = []): ErrorInfo {
  const detail = stderrSummary(outcome.stderr, noise);
  if (outcome.signal) {
    return {
      code: "backend_crashed",
      message: `${cli} was killed by ${outcome.signal}${detail ? `: ${detail}` : ""}`,
      hint: "the CLI died before it finished; run it by hand to see why",
    };
  }
  if (outcome.exitCode !== 0) {
    return {
      code: "backend_error",
      message: `${cli} exited with code ${outcome.exitCode}${detail ? `: ${detail}` : " and printed no error"}`,
      hint: `run \`${cli}\` by hand in the same directory to see the full error`,
    };
  }
  return {
    code: "bad_output",
    message: `${cli} exited without an answer${detail ? `: ${detail}` : ""}`,
    hint: "the CLI's output format may have changed; try `clinvk doctor` and upgrade clinvoker",
  };
}
