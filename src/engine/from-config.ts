/** How the loaded configuration shapes the engine: per-backend settings and run defaults. */

import type { Config } from "../config/schema.js";
import { BACKEND_NAMES, type BackendName } from "../core/backend-names.js";
import type { BackendSettings } from "../core/request.js";
import { AdmissionGate, type AdmissionLimits } from "../process/admission.js";
import type { SessionStore } from "../sessions/store.js";
import { BreakerRegistry } from "./circuit-breaker.js";
import { type ClusterLimits, ClusterSlots, SharedAdmissionGate } from "./cluster-admission.js";
import { Engine, type EngineOptions, type RunDefaults, type RunDispatch } from "./engine.js";
import { LivePool } from "./live-pool.js";
import type { Redis } from "./redis.js";
import { sessionHooks } from "./session-hooks.js";
import { SharedBreakers } from "./shared-breakers.js";
import type { VersionCache } from "./version-cache.js";

export function backendSettingsFromConfig(config: Config): Record<BackendName, BackendSettings> {
  const settings = {} as Record<BackendName, BackendSettings>;
  for (const name of BACKEND_NAMES) {
    const backend = config.backends[name];
    settings[name] = {
      binary: backend.binary || undefined,
      model: backend.model || undefined,
      approvalMode: backend.approval_mode || undefined,
      sandboxMode: backend.sandbox_mode || undefined,
      systemPrompt: backend.system_prompt || undefined,
      allowedTools: backend.allowed_tools.length ? backend.allowed_tools : undefined,
      extraFlags: backend.extra_flags,
      env: backend.env,
      enabled: backend.enabled,
      live: backend.live === "" ? undefined : backend.live === "on",
    };
  }
  return settings;
}

export function runDefaultsFromConfig(config: Config): RunDefaults {
  const flags = config.unified_flags;
  return {
    approvalMode: flags.approval_mode,
    sandboxMode: flags.sandbox_mode,
    maxTurns: flags.max_turns || undefined,
    timeoutMs: flags.command_timeout_secs * 1000 || undefined,
    idleTimeoutMs: flags.idle_timeout_secs * 1000 || undefined,
    dryRun: flags.dry_run,
    live: config.live.enabled,
  };
}

export function admissionLimitsFromConfig(config: Config): AdmissionLimits {
  const caps = config.concurrency;
  return {
    maxRunning: caps.max_running,
    maxQueued: caps.max_queued,
    queueTimeoutMs: caps.queue_timeout_secs * 1000,
    perKey: { ...caps.per_backend },
  };
}

/** The caps on all instances together (`concurrency.cluster_*`), counted in Redis. */
export function clusterLimitsFromConfig(config: Config): ClusterLimits {
  const caps = config.concurrency;
  return {
    maxRunning: caps.cluster_max_running,
    perKey: { ...caps.cluster_per_backend },
    queueTimeoutMs: caps.queue_timeout_secs * 1000,
  };
}

/** Engine options from the config; with a store, runs create and update their sessions. */
export function engineOptionsFromConfig(config: Config, store?: SessionStore): EngineOptions & { gate: AdmissionGate } {
  const options: EngineOptions & { gate: AdmissionGate } = {
    backends: backendSettingsFromConfig(config),
    defaults: runDefaultsFromConfig(config),
    gate: new AdmissionGate(admissionLimitsFromConfig(config)),
  };
  if (store) {
    options.hooks = sessionHooks(store, {
      storeTokenUsage: config.session.store_token_usage,
      keepTurns: config.session.keep_turns,
      defaultTags: config.session.default_tags,
    });
  }
  return options;
}

/**
 * The one composition root of every face (the CLI, the server, the SDK): the engine of a config,
 * its sessions kept in `store` when one is given, its admission gate (returned, so that a reloaded
 * config can set new caps), and a circuit breaker per backend for the long-running faces.
 */
export function composeEngine(
  config: Config,
  parts: {
    store?: SessionStore;
    env?: NodeJS.ProcessEnv;
    breakers?: boolean;
    /** Shared Redis: admission also counts the runs of every instance (read per run from `config`). */
    shared?: { redis: Redis; prefix: string; config?: () => Config };
    versionCache?: VersionCache;
    /** Keep live processes between turns (the long-running faces), with the config's caps. */
    livePool?: boolean;
    /** Hand every run to a worker instance instead of running it here (`serve --role api`). */
    dispatch?: RunDispatch;
  } = {},
): { engine: Engine; gate: AdmissionGate; sharedBreakers?: SharedBreakers; livePool?: LivePool } {
  const options = engineOptionsFromConfig(config, parts.store);
  if (parts.shared) {
    const { redis, prefix } = parts.shared;
    const current = parts.shared.config ?? (() => config);
    const slots = new ClusterSlots(redis, prefix, () => clusterLimitsFromConfig(current()));
    options.gate = new SharedAdmissionGate(admissionLimitsFromConfig(config), slots);
  }
  const breakers = parts.breakers ? new BreakerRegistry() : undefined;
  const livePool = parts.livePool
    ? new LivePool({
        maxIdlePerBackend: config.live.max_idle_per_backend,
        idleMs: config.live.idle_timeout_secs * 1000,
      })
    : undefined;
  const engine = new Engine({
    ...(livePool ? { livePool } : {}),
    ...options,
    ...(parts.env ? { env: parts.env } : {}),
    ...(breakers ? { breakers } : {}),
    ...(parts.versionCache ? { versionCache: parts.versionCache } : {}),
    ...(parts.dispatch ? { dispatch: parts.dispatch } : {}),
  });
  // With Redis, a breaker that opens on one instance opens on all (started by the caller: it is async).
  const sharedBreakers =
    breakers && parts.shared ? new SharedBreakers(parts.shared.redis, parts.shared.prefix, breakers) : undefined;
  return {
    engine,
    gate: options.gate,
    ...(sharedBreakers ? { sharedBreakers } : {}),
    ...(livePool ? { livePool } : {}),
  };
}
