/** A task or chain file from --file, or piped on stdin. */
import { readFileSync } from "node:fs";
import type { SpecSource } from "../workflows/spec-file.js";
import { usageError } from "./fail.js";
import { readPipedStdin, stdinIsPiped } from "./stdin.js";

export async function readSpecInput(file: string | undefined, command: string): Promise<SpecSource> {
  if (file) {
    try {
      return { name: file, text: readFileSync(file, "utf8") };
    } catch (error) {
      throw usageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (stdinIsPiped()) return { name: "stdin", text: (await readPipedStdin({ optional: false })) ?? "" };
  throw usageError("no input provided", `use --file, or pipe JSON or YAML to stdin: clinvk ${command} < tasks.yaml`);
}
