/** How `config show --sources` and `doctor` tell of CLINVK_* variables that name no key. */
import type { IgnoredVariable } from "../config/env.js";

export function ignoredEnvLines(ignored: readonly IgnoredVariable[]): string {
  if (ignored.length === 0) return "";
  const lines = ignored.map(
    ({ variable, suggestion }) => `  ${variable}${suggestion ? `  (did you mean ${suggestion}?)` : ""}`,
  );
  return `Ignored environment variables (they name no config key):\n${lines.join("\n")}\n`;
}
