/**
 * `CLINVK_*` environment variables as config overrides: `CLINVK_SERVER_PORT` is `server.port`,
 * `CLINVK_BACKENDS_CLAUDE_MODEL` is `backends.claude.model`; the Go clinvoker's names
 * (`CLINVK_BACKEND`, `CLINVK_<B>_MODEL`, `CLINVK_API_KEYS`) keep working. A variable that names no
 * key is ignored, not an error: tools and guides export their own `CLINVK_*` names (the Go clinvoker's
 * test suite sets `CLINVK_BIN`), and those must not break every command.
 */
import { BACKEND_NAMES } from "../core/backend-names.js";
import { closest } from "./closest.js";
import { allKeys, type JsonSchema, sectionAt } from "./keys.js";

/** Variables that are not config keys: where the config is, and test tooling. */
const NOT_KEYS = new Set(["CLINVK_CONFIG", "CLINVK_HOME", "CLINVK_DEBUG"]);
const NOT_KEY_PREFIXES = ["CLINVK_E2E_", "CLINVK_TEST_", "CLINVK_BENCH_"];

const LEGACY: Record<string, string[]> = {
  CLINVK_BACKEND: ["default_backend"],
  CLINVK_API_KEYS: ["server", "api_keys"],
  CLINVK_API_KEYS_GOPASS_PATH: ["server", "api_keys_gopass_path"],
  CLINVK_TIMEOUT: ["unified_flags", "command_timeout_secs"],
  ...Object.fromEntries(
    BACKEND_NAMES.map((name) => [`CLINVK_${name.toUpperCase()}_MODEL`, ["backends", name, "model"]]),
  ),
};

export { SECRET_VARIABLES } from "./secrets.js";

export interface EnvOverride {
  variable: string;
  path: string[];
  raw: string;
}

export interface EnvMapping {
  overrides: EnvOverride[];
  /** CLINVK_ variables that name no key, which are ignored. */
  ignored: IgnoredVariable[];
}

export interface IgnoredVariable {
  variable: string;
  /** The variable of a key that is close to it (a likely typo). */
  suggestion?: string;
}

/** The variable that sets a key: `server.rate_limit_rps` is CLINVK_SERVER_RATE_LIMIT_RPS. */
export const envVariableOf = (path: readonly string[]): string => `CLINVK_${path.join("_").toUpperCase()}`;

export function mapEnvironment(env: NodeJS.ProcessEnv): EnvMapping {
  const overrides: EnvOverride[] = [];
  const ignored: IgnoredVariable[] = [];
  const names = Object.keys(env)
    .filter((name) => name.startsWith("CLINVK_"))
    .sort();
  // Legacy names first, so that the nested spelling wins when both are set.
  for (const variable of [...names.filter((n) => n in LEGACY), ...names.filter((n) => !(n in LEGACY))]) {
    const raw = env[variable];
    if (raw === undefined || NOT_KEYS.has(variable) || NOT_KEY_PREFIXES.some((p) => variable.startsWith(p))) continue;
    const path = LEGACY[variable] ?? resolveTokens(variable.slice("CLINVK_".length).toLowerCase().split("_"), []);
    if (path) overrides.push({ variable, path, raw });
    else ignored.push({ variable, suggestion: suggestVariable(variable) });
  }
  return { overrides, ignored };
}

function suggestVariable(variable: string): string | undefined {
  const known = [...Object.keys(LEGACY), ...allKeys().map(({ path }) => envVariableOf(path))];
  return closest(variable, known, Math.max(2, Math.floor(variable.length / 8)));
}

/** Finds the key whose underscore-joined path equals the tokens (keys contain underscores too). */
function resolveTokens(tokens: string[], prefix: string[]): string[] | undefined {
  const section: JsonSchema | undefined = sectionAt(prefix);
  if (!section?.properties) return undefined;
  for (let take = tokens.length; take >= 1; take--) {
    const name = tokens.slice(0, take).join("_");
    const child = section.properties[name];
    if (!child) continue;
    const rest = tokens.slice(take);
    if (rest.length === 0) return child.properties ? undefined : [...prefix, name];
    const found = resolveTokens(rest, [...prefix, name]);
    if (found) return found;
  }
  return undefined;
}
