/** `clinvk serve`: the HTTP server, secure by default, following config changes as it runs. */
import { type AddressInfo, isIP } from "node:net";
import { LiveConfig } from "../../config/live.js";
import { loadConfig } from "../../config/load.js";
import type { Config } from "../../config/schema.js";
import { watchConfig } from "../../config/watch.js";
import { BreakerRegistry } from "../../engine/circuit-breaker.js";
import { Engine } from "../../engine/engine.js";
import { ClinvkError } from "../../engine/errors.js";
import { ExitCode } from "../../engine/exit-codes.js";
import { admissionLimitsFromConfig, engineOptionsFromConfig } from "../../engine/from-config.js";
import { loadApiKeys } from "../../server/api-keys.js";
import { retentionCutoff } from "../../sessions/age.js";
import { colorEnabled } from "../color.js";
import { openStore } from "../context.js";
import { parseCount } from "../options.js";

export interface ServeFlags {
  host?: string;
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

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
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
  if (!isLoopback(host) && loadApiKeys(live.current).length === 0 && !flags.insecureNoAuth) {
    throw new ClinvkError(
      "invalid_config",
      `refusing to listen on ${host} without API keys: anyone who can reach it could run coding agents on this machine`,
      "set server.api_keys (or CLINVK_API_KEYS), or pass --insecure-no-auth if the network is trusted",
    );
  }

  const store = openStore();
  const options = engineOptionsFromConfig(live.current, store);
  const { gate } = options; // kept, so that a saved config's new caps reach it
  const engine = new Engine({ ...options, breakers: new BreakerRegistry() });
  const retention = live.current.session.retention_days;
  if (retention > 0) await store.clean(retentionCutoff(retention)).catch(() => undefined);

  const { buildServer } = await import("../../server/build-server.js");
  const app = await buildServer({
    engine,
    store,
    config: live,
    logger: { level: logLevel, ...(await terminalLogStream()) },
    surfaces: await Promise.all([
      import("../../server/routes/openai.js").then((m) => m.openaiRoutes),
      import("../../server/routes/anthropic.js").then((m) => m.anthropicRoutes),
    ]),
  });
  const watcher = watchConfig(loaded, {
    configFile: flags.config,
    onChange: (next) => {
      live.set(withFlags(next.config));
      gate.setLimits(admissionLimitsFromConfig(live.current));
      app.log.info({ file: next.location.path }, "configuration reloaded");
    },
    onError: (error) => app.log.error({ err: error }, "configuration not reloaded; the last good one stays"),
  });

  await app.listen({ host, port: live.current.server.port });
  const address = boundAddress(app.server.address());
  process.stderr.write(
    `clinvk ${app.clinvk.version} serving on ${address}\n  native API  ${address}/api/v1\n  OpenAI      ${address}/openai/v1\n  Anthropic   ${address}/anthropic/v1\n  docs        ${address}/docs  (${address}/openapi.json)\n  health      ${address}/health\n`,
  );
  if (!isLoopback(host) && flags.insecureNoAuth)
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
      }, deadline);
      force.unref();
      app.close().then(
        () => {
          clearTimeout(force);
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
