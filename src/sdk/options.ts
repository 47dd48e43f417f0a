/**
 * How a library user configures a Clinvoker: a config object (any subset of config.yaml's keys,
 * validated like the file) or a config file, plus what only code can give (a store, the CLIs' env).
 */
import { defaults, getPath, setPath, unknownKeys } from "../config/keys.js";
import { configProblems, loadConfig } from "../config/load.js";
import type { Config } from "../config/schema.js";
import { ClinvkError } from "../core/errors.js";
import type { BackendName } from "../core/events.js";
import type { SessionStore } from "../sessions/store.js";

/** Any subset of config.yaml's keys, e.g. `{ backends: { claude: { model: "opus" } } }`. */
export type ConfigInput = {
  [Section in keyof Config]?: Config[Section] extends object ? DeepPartial<Config[Section]> : Config[Section];
};
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

export interface ClinvokerOptions {
  /** Settings as in config.yaml; wins over `configFile`. */
  config?: ConfigInput;
  /** Also read a config file: a path, or `true` for $CLINVK_HOME/config.yaml. Default: none. */
  configFile?: string | boolean;
  /** Where sessions are kept; default $CLINVK_HOME, else ~/.clinvk. */
  home?: string;
  /** A session store of your own, or `false` to keep no sessions. */
  store?: SessionStore | false;
  /** Paths of the CLIs; default: PATH, then the usual npm install places, then ./node_modules/.bin. */
  binaries?: Partial<Record<BackendName, string>>;
  /** Environment the CLIs get (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Runs at once across this client (default: concurrency.max_running, 8); more wait in a queue. */
  maxConcurrent?: number;
  /** Default wall-clock limit of a run, in ms. */
  timeoutMs?: number;
  /** Default limit on time without output from the CLI, in ms. */
  idleTimeoutMs?: number;
}

/** The effective config: defaults < file (if asked for) < the config object < the shortcuts. */
export function resolveConfig(options: ClinvokerOptions): Config {
  const base =
    options.configFile === undefined || options.configFile === false
      ? defaults()
      : (loadConfig({ configFile: typeof options.configFile === "string" ? options.configFile : undefined })
          .config as unknown as Record<string, unknown>);
  const merged = structuredClone(base);
  const input = (options.config ?? {}) as Record<string, unknown>;
  const unknown = unknownKeys(input);
  mergeInto(merged, input, []);
  for (const [name, path] of Object.entries(options.binaries ?? {}))
    setPath(merged, ["backends", name, "binary"], path);
  if (options.maxConcurrent !== undefined) setPath(merged, ["concurrency", "max_running"], options.maxConcurrent);
  if (options.timeoutMs !== undefined)
    setPath(merged, ["unified_flags", "command_timeout_secs"], Math.ceil(options.timeoutMs / 1000));
  if (options.idleTimeoutMs !== undefined)
    setPath(merged, ["unified_flags", "idle_timeout_secs"], Math.ceil(options.idleTimeoutMs / 1000));
  const problems = [...unknown.map((key) => `unknown key ${key}`), ...configProblems(merged, () => "config")];
  if (problems.length > 0) {
    throw new ClinvkError("invalid_config", `invalid Clinvoker options:\n  ${problems.join("\n  ")}`);
  }
  return merged as unknown as Config;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>, path: string[]): void {
  for (const [key, value] of Object.entries(source)) {
    const here = [...path, key];
    const current = getPath(target, here);
    const bothSections =
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === "object" &&
      !Array.isArray(current);
    if (bothSections && key !== "env" && key !== "per_backend")
      mergeInto(target, value as Record<string, unknown>, here);
    else setPath(target, here, value);
  }
}
