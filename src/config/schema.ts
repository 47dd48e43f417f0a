/**
 * The configuration: one TypeBox schema gives the types, the defaults, the validation and the
 * documentation of every key. Key names are the Go clinvoker's, so its users' files keep working;
 * keys marked "(clinvoker)" are new here.
 */
import Type, { type Static, type TSchema } from "typebox";
import { BACKEND_NAMES } from "../core/backend-names.js";
import { APPROVAL_MODES, SANDBOX_MODES } from "../core/modes.js";

const str = (def: string, description: string) => Type.String({ default: def, description });
const bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });
const int = (def: number, description: string, minimum = 0, maximum?: number) =>
  Type.Integer({ default: def, description, minimum, ...(maximum !== undefined ? { maximum } : {}) });
const list = (description: string) => Type.Array(Type.String(), { default: [], description });
const section = <P extends Record<string, TSchema>>(properties: P, description: string) =>
  Type.Object(properties, { additionalProperties: false, description });

const approvalMode = (description: string) => Type.Enum(APPROVAL_MODES, { default: "default", description });
const sandboxMode = (description: string) => Type.Enum(SANDBOX_MODES, { default: "default", description });

const BackendConfigSchema = section(
  {
    model: str("", "Default model for this backend (a name or an alias: fast, balanced, best)."),
    binary: str("", "Path of the CLI's executable (clinvoker); default: looked up on PATH."),
    allowed_tools: list("Tools the agent may use without asking (claude, gemini)."),
    approval_mode: Type.Enum(["", ...APPROVAL_MODES], {
      default: "",
      description: "Overrides unified_flags.approval_mode for this backend (empty: no override).",
    }),
    sandbox_mode: Type.Enum(["", ...SANDBOX_MODES], {
      default: "",
      description: "Overrides unified_flags.sandbox_mode for this backend (empty: no override).",
    }),
    system_prompt: str("", "System prompt used when a request gives none (claude, codex)."),
    extra_flags: list("Flags appended to every command line of this backend (trusted: not allowlisted)."),
    enabled: bool(true, "Whether clinvoker may run this backend."),
    live: Type.Enum(["", "on", "off"], {
      default: "",
      description: "Overrides live.enabled for this backend (empty: no override) (clinvoker).",
    }),
    env: Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.String(), {
      default: {},
      additionalProperties: false,
      description: "Environment variables passed to this CLI (clinvoker).",
    }),
  },
  "Settings of one backend CLI.",
);

export const ConfigSchema = section(
  {
    default_backend: Type.Enum(BACKEND_NAMES, { default: "claude", description: "Backend used when none is given." }),
    unified_flags: section(
      {
        approval_mode: approvalMode("default, auto (accept edits), none (never ask: allow everything), always."),
        sandbox_mode: sandboxMode("default, read-only, workspace or full."),
        verbose: bool(false, "Verbose output from the CLIs."),
        dry_run: bool(false, "Only print the commands that would run."),
        max_turns: int(0, "Limit on the agent's turns (0: no limit)."),
        max_tokens: int(0, "Accepted for compatibility; no CLI takes it."),
        command_timeout_secs: int(0, "Wall-clock limit of one run in seconds (0: none)."),
        idle_timeout_secs: int(0, "Stop a run whose CLI prints nothing for this long (0: never) (clinvoker)."),
      },
      "Defaults for every run, whatever the backend.",
    ),
    backends: section(
      Object.fromEntries(BACKEND_NAMES.map((name) => [name, BackendConfigSchema])) as Record<
        (typeof BACKEND_NAMES)[number],
        typeof BackendConfigSchema
      >,
      "Per-backend settings.",
    ),
    session: section(
      {
        auto_resume: bool(true, "A bare prompt continues the newest session of the same directory."),
        retention_days: int(30, "Sessions unused for longer are removed by `sessions clean` (0: keep)."),
        store_token_usage: bool(true, "Add each run's token usage to its session."),
        keep_turns: bool(
          true,
          "Keep each turn's prompt and answer (bounded) with its session, for the dashboard and `GET /api/v1/sessions/{id}/turns`; off: a turn keeps only its status, usage, duration and model (clinvoker).",
        ),
        default_tags: list("Tags given to every new session."),
      },
      "Sessions.",
    ),
    store: section(
      {
        url: str(
          "",
          "PostgreSQL URL (postgres://user@host:5432/db) of the session store that many instances share; empty: files in $CLINVK_HOME/sessions (clinvoker).",
        ),
        schema: str(
          "public",
          "The PostgreSQL schema holding clinvk's tables, created and migrated by clinvk (clinvoker).",
        ),
      },
      "Where sessions are kept (clinvoker).",
    ),
    redis: section(
      {
        url: str(
          "",
          "Redis URL (redis://host:6379/0, rediss:// for TLS) that many instances share for rate limits; empty: each instance keeps its own (clinvoker).",
        ),
        key_prefix: str(
          "clinvk:",
          "Prefix of every Redis key clinvk writes, so that several deployments can share one Redis (clinvoker).",
        ),
      },
      "Redis, for the short-lived state that instances share (clinvoker).",
    ),
    live: section(
      {
        enabled: bool(
          false,
          "Drive the CLIs as long-lived processes over their machine protocols (claude stream-json, codex app-server, gemini ACP): token streaming for codex, interrupt, permission requests; where a run needs what live mode lacks, it goes one-shot (clinvoker).",
        ),
        max_idle_per_backend: int(
          4,
          "Idle live processes kept per backend by the server and the SDK, so that a session's next turn costs no start (0: none kept) (clinvoker).",
        ),
        idle_timeout_secs: int(300, "How long an idle live process waits for its session's next turn (clinvoker)."),
        prewarm: section(
          Object.fromEntries(
            BACKEND_NAMES.map((name) => [name, int(0, `Idle ${name} processes started ahead for new sessions.`)]),
          ) as Record<(typeof BACKEND_NAMES)[number], ReturnType<typeof int>>,
          "Processes `clinvk serve` (and the SDK's startup()) start before the first request, per backend, with the default options in the default workdir (clinvoker).",
        ),
      },
      "Long-lived CLI processes (clinvoker).",
    ),
    output: section(
      {
        format: Type.Enum(["text", "json", "stream-json", "default"], {
          default: "json",
          description: "Default output format: text, json or stream-json (default means json).",
        }),
        show_tokens: bool(false, "With text output, print token usage after the answer."),
        show_timing: bool(false, "With text output, print the run's duration after the answer."),
        color: bool(
          true,
          "Use colour on terminals (the NO_COLOR variable turns it off, FORCE_COLOR on, also into pipes).",
        ),
      },
      "How results are printed.",
    ),
    parallel: section(
      {
        max_workers: int(3, "How many tasks run at once by default.", 1),
        fail_fast: bool(false, "Stop all tasks at the first failure."),
        aggregate_output: bool(true, "Print a summary table after the tasks."),
      },
      "`clinvk parallel`.",
    ),
    concurrency: section(
      {
        max_running: int(8, "Runs of any backend at once, across every face of one process (clinvoker).", 1),
        max_queued: int(100, "Runs waiting for a slot; beyond it new runs are refused (clinvoker)."),
        queue_timeout_secs: int(60, "How long a run may wait for a slot (clinvoker)."),
        per_backend: section(
          Object.fromEntries(
            BACKEND_NAMES.map((name) => [name, int(0, `Runs of ${name} at once (0: only the global cap).`)]),
          ) as Record<(typeof BACKEND_NAMES)[number], ReturnType<typeof int>>,
          "Caps per backend (clinvoker).",
        ),
        cluster_max_running: int(
          0,
          "With redis.url: runs of any backend at once on all instances together (0: no cap) (clinvoker).",
        ),
        cluster_per_backend: section(
          Object.fromEntries(
            BACKEND_NAMES.map((name) => [
              name,
              int(0, `Runs of ${name} at once on all instances together (0: no cap).`),
            ]),
          ) as Record<(typeof BACKEND_NAMES)[number], ReturnType<typeof int>>,
          "With redis.url: caps per backend on all instances together, counted in Redis (clinvoker).",
        ),
      },
      "The admission gate: how many CLIs run at once (clinvoker).",
    ),
    server: section(
      {
        host: str("127.0.0.1", "Address to listen on."),
        port: int(8080, "Port to listen on.", 0, 65535),
        request_timeout_secs: int(
          300,
          "Longest a run started by a request may take; it then ends as a timeout (0: no cap).",
        ),
        read_timeout_secs: int(
          30,
          "Longest the server waits for a request's headers and body; then 408 (0: no limit).",
        ),
        write_timeout_secs: int(
          300,
          "A streaming client that reads nothing for this long is dropped and its run cancelled (0: never).",
        ),
        idle_timeout_secs: int(120, "How long an idle keep-alive connection stays open."),
        shutdown_timeout_secs: int(30, "On shutdown, how long running requests may finish (clinvoker)."),
        role: Type.Enum(["all", "api", "worker"], {
          default: "all",
          description:
            "With redis.url: api hands every run to the worker instances (BullMQ), worker runs queued runs and serves only /health, all does both (clinvoker).",
        }),
        api_keys: list("API keys that clients must send; empty: no authentication (clinvoker)."),
        api_keys_file: str("", "File with one API key per line (clinvoker)."),
        api_keys_gopass_path: str("", "gopass secret holding comma-separated API keys."),
        rate_limit_enabled: bool(false, "Limit requests per client."),
        rate_limit_rps: int(10, "Requests per second per client."),
        rate_limit_burst: int(20, "Requests a client may send at once."),
        rate_limit_cleanup_secs: int(180, "How often idle clients are forgotten."),
        trusted_proxies: list("Proxies (IPs or CIDRs) whose X-Forwarded-For is believed."),
        max_request_body_bytes: int(10_485_760, "Largest request body (0: no limit)."),
        allowed_hosts: list(
          'Host names the server answers to ("*": any; ".example.com": a domain); empty: loopback names and server.host (clinvoker).',
        ),
        cors_allowed_origins: list("Origins allowed by CORS; empty: http://localhost:* and http://127.0.0.1:*."),
        cors_allow_credentials: bool(false, "Allow credentials in CORS requests."),
        cors_max_age: int(300, "How long browsers may cache a CORS preflight, in seconds."),
        allowed_workdir_prefixes: list("If set, request workdirs must be below one of these."),
        blocked_workdir_prefixes: list("Workdirs that requests may never use, besides the built-in list."),
        metrics_enabled: bool(false, "Serve Prometheus metrics at /metrics."),
        auth_exempt_paths: Type.Array(Type.String(), {
          default: ["/health", "/docs", "/openapi.json"],
          description:
            "Paths served without an API key (clinvoker); the API's description is public, as in the Go clinvoker. E.g. add /metrics.",
        }),
        allow_dangerous_modes: bool(
          false,
          "Let network clients ask for approval_mode none and sandbox_mode full, mode flags and agents (clinvoker).",
        ),
        child_env: list(
          "Variables (names, or prefixes ending in *) passed to the CLIs the server runs, besides PATH, HOME, locale, TMPDIR, proxies and each CLI's own provider variables (clinvoker).",
        ),
        grantable_tools: list(
          'Tools that network clients may grant through allowed_tools or tool flags ("*": any); empty: none (clinvoker).',
        ),
        on_disconnect: Type.Enum(["cancel", "detach"], {
          default: "cancel",
          description:
            "When a streaming client goes away: cancel its run, or let it finish into its session (clinvoker).",
        }),
        tracing_enabled: bool(true, "Honour and propagate W3C traceparent headers (clinvoker)."),
        client_tool_wait_secs: int(
          300,
          "How long a run that called a client's tool waits for the result; then it stops, and a late result goes on from its session (clinvoker).",
          1,
        ),
        approval_wait_secs: int(
          120,
          "How long a live run's tool call that asks for approval (ask_permissions) waits for someone to decide it through /api/v1/approvals; then approval_timeout_decision applies (clinvoker).",
          1,
        ),
        approval_timeout_decision: Type.Enum(["deny", "allow"], {
          default: "deny",
          description: "What an approval no one decided in time becomes: deny or allow (clinvoker).",
        }),
        client_tools_keep_builtins: bool(
          false,
          "When a request brings its own tools, let the CLI's agent use its built-in tools too; they run on the server (clinvoker).",
        ),
      },
      "`clinvk serve`.",
    ),
  },
  "clinvoker configuration ($CLINVK_HOME/config.yaml).",
);

export type Config = Static<typeof ConfigSchema>;
export type BackendConfig = Static<typeof BackendConfigSchema>;

export { SECRET_KEYS } from "./secrets.js";
