/** `clinvk serve`: the HTTP server, secure by default, following config changes as it runs. */

import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { LiveConfig } from "../../config/live.js";
import { loadConfig } from "../../config/load.js";
import { clinvkHome } from "../../config/paths.js";
import type { Config } from "../../config/schema.js";
import { watchConfig } from "../../config/watch.js";
import { BACKEND_NAMES } from "../../core/backend-names.js";
import { ClinvkError } from "../../core/errors.js";
import { admissionLimitsFromConfig, composeEngine } from "../../engine/from-config.js";
import { checkKeyPrefix, connectRedis, describeRedisUrl, type Redis } from "../../engine/redis.js";
import { superviseRuns } from "../../engine/run-supervision.js";
import { describeStore } from "../../engine/session-store.js";
import { sharedRuns } from "../../engine/shared-runs.js";
import type { ServeRole } from "../../server/context.js";
import { keysForAddress } from "../../server/plugins/api-keys.js";
import { isLoopbackName } from "../../server/policy/loopback.js";
import { retentionCutoff } from "../../sessions/age.js";
import type { SessionStore } from "../../sessions/store.js";
import { colorEnabled } from "../color.js";
import { openStore, versionCacheOf } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { parseCount } from "../options.js";

export interface ServeFlags {
  host?: string;
  role?: string;
  port?: string;
  insecureNoAuth?: boolean;
  logLevel?: string;
  config?: string;
}

/** Readable lines on a terminal (pino-pretty, loaded only then); one JSON object per line otherwise. */
async function terminalLogStream(): Promise<{ stream?: NodeJS.WritableStream }> {
  if (!process.stdout.isTTY) return {};
  const { default: pretty } = await import("pino-pretty");
  return {
    stream: pretty({
      colorize: colorEnabled(process.stdout),
      sync: true,
      singleLine: true,
      // One line per request: "request completed GET /health 200 1.2ms"; ids stay in the JSON logs.
      ignore: "pid,hostname,reqId,trace_id,span_id,req,res,responseTime",
      messageFormat:
        "{msg}{if req.method} {req.method} {req.url}{end}{if res.statusCode} {res.statusCode}{end}{if responseTime} {responseTime}ms{end}",
    }),
  };
}

/** The address the socket is bound to (0.0.0.0 stays 0.0.0.0), as a URL. */
function boundAddress(bound: AddressInfo | string | null): string {
  if (bound === null || typeof bound === "string") return String(bound);
  return `http://${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`;
}

const LISTEN_ERRORS: Record<string, [string, string]> = {
  EADDRINUSE: ["the address is in use", "stop the other server, or choose another port with --port (or server.port)"],
  EACCES: ["permission denied", "ports below 1024 need privileges: choose a port of 1024 or more"],
  EADDRNOTAVAIL: ["no such address on this machine", "give an address of this machine with --host (or server.host)"],
};

function listenError(error: unknown, host: string, port: number): ClinvkError {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const [what, hint] = LISTEN_ERRORS[code] ?? [(error as Error).message, undefined];
  return new ClinvkError(
    "invalid_config",
    `cannot listen on ${host}:${port}: ${what}${code ? ` (${code})` : ""}`,
    hint,
  );
}

/** The Redis of `redis.url`, connected; undefined when none is configured. */
async function sharedRedis(config: Config): Promise<{ client: Redis; where: string; prefix: string } | undefined> {
  if (!config.redis.url) return undefined;
  const prefix = checkKeyPrefix(config.redis.key_prefix);
  return { client: await connectRedis(config.redis.url), where: describeRedisUrl(config.redis.url), prefix };
}

const ROLES: readonly ServeRole[] = ["all", "api", "worker"];

/** The role of `--role` or `server.role`; api and worker need what instances share. */
function serveRole(config: Config, flag: string | undefined, store: SessionStore): ServeRole {
  const role = (flag ?? config.server.role) as ServeRole;
  if (!ROLES.includes(role))
    throw new ClinvkError("invalid_request", `invalid --role "${role}"`, `use one of: ${ROLES.join(", ")}`);
  if (role === "all") return role;
  if (!config.redis.url)
    throw new ClinvkError(
      "invalid_config",
      `role ${role} needs redis.url: the work queue and the runs are shared through Redis`,
      "set redis.url (CLINVK_REDIS_URL), or serve with --role all",
    );
  if (describeStore(store).kind !== "postgres")
    throw new ClinvkError(
      "invalid_config",
      `role ${role} needs a shared session store (store.url: postgres://...): a worker's sessions must be the API's`,
      "set store.url (CLINVK_STORE_URL), or serve with --role all",
    );
  return role;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export async function runServeCommand(flags: ServeFlags): Promise<number> {
  const logLevel = flags.logLevel ?? "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ClinvkError(
      "invalid_request",
      `invalid --log-level "${logLevel}"`,
      `use one of: ${LOG_LEVELS.join(", ")}`,
    );
  }
  const port = parseCount("--port", flags.port);
  if (port !== undefined && port > 65535) throw new ClinvkError("invalid_request", `invalid --port ${port}`);
  const withFlags = (config: Config): Config => ({
    ...config,
    server: { ...config.server, ...(flags.host ? { host: flags.host } : {}), ...(port !== undefined ? { port } : {}) },
  });
  const loaded = loadConfig({ configFile: flags.config });
  const live = new LiveConfig(withFlags(loaded.config));
  const { host } = live.current.server;
  keysForAddress(live.current, flags.insecureNoAuth === true); // refused before anything starts

  const store = openStore(live.current);
  const role = serveRole(live.current, flags.role, store);
  // A configured database or Redis that cannot be reached stops the server here (exit 3), never a fallback.
  await store.open?.();
  const redis = await sharedRedis(live.current).catch(async (error: unknown) => {
    await store.close?.().catch(() => undefined);
    throw error;
  });
  const { orphans, interrupted } = await superviseRuns(store, join(clinvkHome(), "runs"));
  const shared = redis ? await sharedRuns(redis, role) : undefined;
  // The gate is kept, so that a saved config's new caps reach it.
  const { engine, gate, sharedBreakers } = composeEngine(live.current, {
    store,
    breakers: true,
    versionCache: versionCacheOf(clinvkHome()),
    livePool: role !== "api",
    ...(redis ? { shared: { redis: redis.client, prefix: redis.prefix, config: () => live.current } } : {}),
    ...(shared?.dispatch ? { dispatch: shared.dispatch } : {}),
  });
  await sharedBreakers?.start(BACKEND_NAMES);
  const retention = live.current.session.retention_days;
  if (retention > 0) await store.clean(retentionCutoff(retention)).catch(() => undefined);

  const { buildServer } = await import("../../server/build-server.js");
  const { prewarmLive } = await import("../../server/service/prewarm.js");
  const app = await buildServer({
    engine,
    store,
    config: live,
    insecureNoAuth: flags.insecureNoAuth === true,
    logger: { level: logLevel, ...(await terminalLogStream()) },
    role,
    ...(redis ? { redis } : {}),
    ...(shared
      ? { tracker: shared.tracker, runs: shared.directory, queues: shared.queues, instance: shared.journal.instance }
      : {}),
  });
  if (shared)
    shared.tracker.onWriteError = (error) =>
      app.log.warn({ err: error }, "a run's record was not shared through Redis");
  // Every instance but a pure API one takes queued runs, through the engine its own clients use.
  if (shared && role !== "api")
    shared.startWorkers(app.clinvk.engine, live.current, (error: unknown) =>
      app.log.error({ err: error }, "the work queue failed; BullMQ reconnects"),
    );
  if (orphans > 0) {
    app.log.warn(
      { runs: orphans, sessions: interrupted },
      "killed the CLIs left by a clinvk serve that died; their sessions are marked interrupted",
    );
  }
  const watcher = watchConfig(loaded, {
    configFile: flags.config,
    onChange: (next) => {
      live.set(withFlags(next.config));
      gate.setLimits(admissionLimitsFromConfig(live.current));
      app.log.info({ file: next.location.path }, "configuration reloaded");
    },
    onError: (error) => app.log.error({ err: error }, "configuration not reloaded; the last good one stays"),
  });

  try {
    await app.listen({ host, port: live.current.server.port });
  } catch (error) {
    // Nothing may keep a server that cannot serve alive: a supervisor must see it fail.
    watcher.close();
    await app.close().catch(() => undefined);
    await shared?.close().catch(() => undefined);
    sharedBreakers?.stop();
    redis?.client.disconnect();
    await store.close?.().catch(() => undefined);
    throw listenError(error, host, live.current.server.port);
  }
  const address = boundAddress(app.server.address());
  process.stderr.write(
    role === "worker"
      ? `clinvk ${app.clinvk.version} worker serving on ${address} (/health only): taking queued runs\n`
      : `clinvk ${app.clinvk.version} serving on ${address}${role === "api" ? " (role api: runs go to the workers)" : ""}\n  native API  ${address}/api/v1\n  OpenAI      ${address}/openai/v1\n  Anthropic   ${address}/anthropic/v1\n  MCP         ${address}/mcp\n  docs        ${address}/docs  (${address}/openapi.json)\n  dashboard   ${address}/ui\n  health      ${address}/health\n`,
  );
  if (role !== "api") void prewarmLive(app, live.current.live.prewarm);
  if (!isLoopbackName(host) && flags.insecureNoAuth)
    process.stderr.write("clinvk: warning: no API keys on a network address\n");

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(ExitCode.cancelled); // The exit hook still kills every CLI's group.
      stopping = true;
      const deadline = live.current.server.shutdown_timeout_secs * 1000;
      app.log.info({ signal, deadline_ms: deadline }, "shutting down: finishing running requests");
      watcher.close();
      const force = setTimeout(() => {
        app.log.warn({ runs: app.clinvk.active.size }, "shutdown deadline passed: stopping the runs");
        for (const run of app.clinvk.active) run.abort();
        shared?.tracker.cancelAll(); // the queued runs this worker took
      }, deadline);
      force.unref();
      // A worker stops taking runs and finishes the ones it has, as the server finishes its requests.
      Promise.all([app.close(), shared?.close()]).then(
        async () => {
          clearTimeout(force);
          await store.close?.().catch(() => undefined);
          sharedBreakers?.stop();
          redis?.client.disconnect();
          resolve(ExitCode.ok);
        },
        () => resolve(ExitCode.general),
      );
    };
    // `on`, not `once`: a second signal must still run stop(), whose process.exit runs the exit hook
    // that kills every CLI's group (a signal with no handler would end us without it).
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
