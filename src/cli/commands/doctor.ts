/** `clinvk doctor`: which backends are installed, where, which version, and how to get the rest. */

import { createColors } from "picocolors";
import type { BackendStatus } from "../../engine/registry.js";
import { type Paint, paintFor } from "../color.js";
import { engineFor, loadCliConfig, openStore } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { ignoredEnvLines } from "../ignored-env.js";
import { checkSharedParts, formatSharedParts } from "./doctor-shared.js";

export async function runDoctorCommand(flags: { json?: boolean; config?: string }): Promise<number> {
  const loaded = await loadCliConfig(flags.config);
  const statuses = await engineFor(loaded).registry.statuses();
  const shared = await checkSharedParts(loaded.config, openStore(loaded.config));
  if (flags.json) {
    process.stdout.write(
      `${JSON.stringify({ backends: statuses, ...shared, ignored_env: loaded.ignoredEnv }, null, 2)}\n`,
    );
  } else {
    const ignored = ignoredEnvLines(loaded.ignoredEnv);
    const paint = paintFor(process.stdout, loaded.config.output.color);
    process.stdout.write(
      `${formatDoctor(statuses, paint)}\n\n${formatSharedParts(shared, paint)}\n${ignored ? `\n${ignored}` : ""}`,
    );
  }
  // A configured database or Redis that cannot be reached is a configuration problem.
  if (!shared.session_store.available || shared.redis?.available === false) return ExitCode.invalidUsage;
  return statuses.some((status) => status.available && status.enabled) ? ExitCode.ok : ExitCode.backendUnavailable;
}

export function formatDoctor(statuses: readonly BackendStatus[], paint: Paint = createColors(false)): string {
  const lines: string[] = [];
  for (const status of statuses) {
    const mark = status.available
      ? status.enabled
        ? paint.green("ok     ")
        : paint.yellow("off    ")
      : paint.red("missing");
    const version = status.version ? ` ${status.version}` : "";
    lines.push(`${mark} ${status.name.padEnd(7)}${version}${status.path ? `  (${status.path})` : ""}`);
    if (!status.enabled) lines.push("        disabled in the configuration");
    if (status.problem) lines.push(`        ${status.problem}`);
    if (!status.available) lines.push(`        install: ${status.installHint}`);
  }
  const available = statuses.filter((s) => s.available && s.enabled).length;
  lines.push("");
  lines.push(
    available === 0
      ? "No backend is available: install at least one of the CLIs above."
      : `${available} of ${statuses.length} backends available.`,
  );
  return lines.join("\n");
}
