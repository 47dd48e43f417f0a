/**
 * Colour on terminals: `NO_COLOR` turns it off, `FORCE_COLOR` on (also into a pipe), otherwise
 * `output.color` decides for a stream that is a terminal. Colour only marks what text already says
 * (a status, a warning), so nothing is lost without it.
 */
import { createColors } from "picocolors";

export type Paint = ReturnType<typeof createColors>;

export function colorEnabled(
  stream: { isTTY?: boolean },
  configured = true,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return true;
  return configured && stream.isTTY === true && env.TERM !== "dumb";
}

export function paintFor(stream: { isTTY?: boolean }, configured = true): Paint {
  return createColors(colorEnabled(stream, configured));
}

/** A workflow status as the tables print it (COMPLETED, FAILED, ...), in its colour. */
export function paintStatus(paint: Paint, status: string): string {
  switch (status.trim().toLowerCase()) {
    case "completed":
      return paint.green(status);
    case "failed":
      return paint.red(status);
    default:
      return paint.yellow(status);
  }
}
