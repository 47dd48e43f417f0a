// Per-test sandboxes for running the real `claude`, `codex` and `gemini` CLIs offline against the provider stub.
// Each sandbox has its own HOME, CODEX_HOME, TMPDIR and work dir, the settings each CLI needs to talk to the stub
// (so that no extra command-line flags are needed), and an env built from a minimal base (nothing inherited
// except PATH and locale), so real credentials or provider switches in the caller's env never leak in.
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type CliName = "claude" | "codex" | "gemini";
export const CLI_NAMES: readonly CliName[] = ["claude", "codex", "gemini"];

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The Node that runs clinvk and the CLIs: this process's, unless the tests themselves run on another
 * (the next-clients lane runs its clients on Node 24, and clinvoker on the machine's Node).
 */
export const RUNTIME_NODE = process.env.CLINVK_E2E_NODE || process.execPath;
/** Where scripts/install-e2e-clis.mjs installs the pinned CLIs (`$CLINVK_E2E_CLI_DIR` overrides). */
export const E2E_CLI_DIR = process.env.CLINVK_E2E_CLI_DIR
  ? resolve(process.env.CLINVK_E2E_CLI_DIR)
  : join(REPO_ROOT, ".cache", "e2e-clis");
/** The folder holding the `claude`, `codex` and `gemini` executables; first on the sandbox PATH. */
export const E2E_CLI_BIN = join(E2E_CLI_DIR, "node_modules", ".bin");

/** The pinned versions (test/e2e/cli-versions.json): package name and version per CLI. */
export const CLI_VERSIONS = JSON.parse(readFileSync(join(REPO_ROOT, "test/e2e/cli-versions.json"), "utf8")) as Record<
  CliName,
  { package: string; version: string }
>;

export interface CliSandboxOptions {
  /**
   * Retries after the first failed attempt (default 0, so faults surface in about a second):
   * claude `CLAUDE_CODE_MAX_RETRIES=n`; codex `stream_max_retries=n` with `request_max_retries=0`
   * (n+1 requests for 401 and 5xx alike); gemini `general.maxAttempts=n+1` (at most 10; main model only).
   */
  retries?: number;
  /** Request timeout: claude `API_TIMEOUT_MS`, codex `stream_idle_timeout_ms`. Unset: the CLIs' defaults. */
  apiTimeoutMs?: number;
  /** Parent folder for the scratch dir (default `$CLINVK_E2E_TMP` or the OS temp dir). */
  parentDir?: string;
  /** Extra env vars; `undefined` removes a var from the sandbox env. Applied last. */
  env?: Record<string, string | undefined>;
  /** Deep-merged into gemini's `$HOME/.gemini/settings.json`. */
  geminiSettings?: Record<string, unknown>;
  /** Extra TOML appended to `$CODEX_HOME/config.toml` (tables only: top-level keys must go in `codexTopLevel`). */
  codexConfig?: string;
  /** Extra top-level TOML lines for `$CODEX_HOME/config.toml` (e.g. `model = "gpt-5"`). */
  codexTopLevel?: string;
  /**
   * Skip gemini's self-relaunch with a bigger heap (`GEMINI_CLI_NO_RELAUNCH=true`): one process instead of two,
   * faster start. Default true.
   */
  geminiNoRelaunch?: boolean;
  /**
   * Names of the folders inside the scratch dir (defaults: `home`, `codex-home`, `tmp`, `work`). Recordings use
   * `home-<cli>` and `work-<cli>` so that the paths the CLIs print say which CLI they belong to.
   */
  dirNames?: Partial<Record<"home" | "codexHome" | "tmpDir" | "workDir", string>>;
}

export interface CliSandbox {
  /** The CLIs configured in this sandbox. */
  clis: readonly CliName[];
  /** The scratch dir holding everything below; removed by cleanup(). */
  root: string;
  /** HOME (also holds `.claude/`, `.claude.json`, `.gemini/`). */
  home: string;
  /** CODEX_HOME (holds config.toml and sessions/). */
  codexHome: string;
  /** TMPDIR. */
  tmpDir: string;
  /** An empty work dir (not inside any git repo): use it as the cwd. */
  workDir: string;
  /** The env to spawn a CLI (or clinvk) with. */
  env: Record<string, string>;
  /** Absolute path of each CLI's executable. */
  commands: Record<CliName, string>;
  /** The stub URL the sandbox points at. */
  stubUrl: string;
  /** Removes the scratch dir. Safe to call twice. */
  cleanup(): void;
}

/** Env vars passed through from the caller's env (nothing else is inherited). */
const PASS_THROUGH = ["LANG", "LC_ALL", "LC_CTYPE", "TZ"];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const cur = out[k];
    out[k] = isPlainObject(cur) && isPlainObject(v) ? deepMerge(cur, v) : v;
  }
  return out;
}

/** A TOML basic string. */
function tomlString(s: string): string {
  return JSON.stringify(s);
}

/**
 * Creates a scratch sandbox for `cli` (one CLI, several, or "all") pointed at the provider stub at `stubUrl`.
 * Call `cleanup()` when done (e.g. in afterEach).
 */
export function prepareCliSandbox(
  cli: CliName | readonly CliName[] | "all",
  stubUrl: string,
  options: CliSandboxOptions = {},
): CliSandbox {
  const clis: readonly CliName[] = cli === "all" ? CLI_NAMES : typeof cli === "string" ? [cli] : cli;
  const retries = Math.max(0, Math.floor(options.retries ?? 0));
  const base = stubUrl.replace(/\/+$/, "");
  const parent = options.parentDir ?? process.env.CLINVK_E2E_TMP ?? tmpdir();
  mkdirSync(parent, { recursive: true });
  // realpath: the CLIs key sessions by the resolved cwd, so tests see the same paths the CLIs print.
  const root = realpathSync(mkdtempSync(join(parent, `clinvk-e2e-${clis.join("-")}-`)));
  const names = options.dirNames ?? {};
  const home = join(root, names.home ?? "home");
  const codexHome = join(root, names.codexHome ?? "codex-home");
  const tmpDir = join(root, names.tmpDir ?? "tmp");
  const workDir = join(root, names.workDir ?? "work");
  for (const d of [
    home,
    codexHome,
    tmpDir,
    workDir,
    join(home, ".config"),
    join(home, ".cache"),
    join(home, ".local", "share"),
    join(home, ".local", "state"),
  ]) {
    mkdirSync(d, { recursive: true });
  }

  const env: Record<string, string> = {
    PATH: [E2E_CLI_BIN, dirname(RUNTIME_NODE), process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(delimiter),
    HOME: home,
    USER: process.env.USER ?? "e2e",
    LOGNAME: process.env.LOGNAME ?? process.env.USER ?? "e2e",
    SHELL: "/bin/bash",
    TMPDIR: tmpDir,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_STATE_HOME: join(home, ".local", "state"),
  };
  for (const k of PASS_THROUGH) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env.LANG ??= "C.UTF-8";

  if (clis.includes("claude")) {
    Object.assign(env, {
      ANTHROPIC_BASE_URL: base,
      ANTHROPIC_API_KEY: "sk-ant-api03-stub-key",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
      CLAUDE_CODE_MAX_RETRIES: String(retries),
    });
    if (options.apiTimeoutMs !== undefined) env.API_TIMEOUT_MS = String(options.apiTimeoutMs);
  }

  if (clis.includes("codex")) {
    env.CODEX_HOME = codexHome;
    env.OPENAI_API_KEY = "sk-stub-key";
    const lines = [
      "# Written by test/e2e/cli-env.ts: point codex at the provider stub.",
      'model_provider = "stub"',
      "check_for_update_on_startup = false",
      options.codexTopLevel ?? "",
      "",
      "[analytics]",
      "enabled = false",
      "",
      "[model_providers.stub]",
      'name = "stub"',
      `base_url = ${tomlString(`${base}/v1`)}`,
      'env_key = "OPENAI_API_KEY"',
      'wire_api = "responses"',
      "supports_websockets = false",
      "request_max_retries = 0",
      `stream_max_retries = ${retries}`,
    ];
    if (options.apiTimeoutMs !== undefined) lines.push(`stream_idle_timeout_ms = ${options.apiTimeoutMs}`);
    lines.push("", options.codexConfig ?? "", "");
    writeFileSync(join(codexHome, "config.toml"), lines.join("\n"));
  }

  if (clis.includes("gemini")) {
    Object.assign(env, {
      GEMINI_API_KEY: "stub-gemini-key",
      GOOGLE_GEMINI_BASE_URL: base,
      GEMINI_CLI_TRUST_WORKSPACE: "true",
    });
    if (options.geminiNoRelaunch ?? true) env.GEMINI_CLI_NO_RELAUNCH = "true";
    const settings = deepMerge(
      {
        security: { auth: { selectedType: "gemini-api-key" } },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: {
          enableAutoUpdate: false,
          enableAutoUpdateNotification: false,
          maxAttempts: Math.min(10, retries + 1),
        },
        model: { skipNextSpeakerCheck: true },
      },
      options.geminiSettings ?? {},
    );
    mkdirSync(join(home, ".gemini"), { recursive: true });
    writeFileSync(join(home, ".gemini", "settings.json"), `${JSON.stringify(settings, null, 2)}\n`);
  }

  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined || v === null) delete env[k];
    else env[k] = v;
  }

  let cleaned = false;
  return {
    clis,
    root,
    home,
    codexHome,
    tmpDir,
    workDir,
    env,
    commands: {
      claude: join(E2E_CLI_BIN, "claude"),
      codex: join(E2E_CLI_BIN, "codex"),
      gemini: join(E2E_CLI_BIN, "gemini"),
    },
    stubUrl: base,
    cleanup() {
      if (cleaned) return;
      cleaned = true;
      rmSync(root, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
    },
  };
}
