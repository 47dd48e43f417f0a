/** What every command that runs something needs: the config, the session store, an engine. */
import { join } from "node:path";
import type { LoadedConfig } from "../config/load.js";
import { clinvkHome } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import type { Engine } from "../engine/engine.js";
import { composeEngine } from "../engine/from-config.js";
import { sessionStoreFromConfig } from "../engine/session-store.js";
import { fileVersionCache, type VersionCache } from "../engine/version-cache.js";
import type { SessionStore } from "../sessions/store.js";
import { BUILD_ID } from "./build-id.js";
import { loadConfigCached } from "./config-cache.js";

export interface CliContext {
  loaded: LoadedConfig;
  config: Config;
  store: SessionStore;
  engine: Engine;
}

/** The configuration, from the cache of an earlier start when nothing it is made of has changed. */
export function loadCliConfig(configFile: string | undefined): Promise<LoadedConfig> {
  return loadConfigCached({ configFile, buildId: BUILD_ID });
}

/** The store of the config: PostgreSQL when `store.url` is set, else `$CLINVK_HOME/sessions`. */
export function openStore(config: Config): SessionStore {
  return sessionStoreFromConfig(config, clinvkHome());
}

/**
 * The config, store and engine of one command. `capacity` raises the admission gate for a workflow
 * whose own cap the user chose (`--max-parallel`), so that it is not silently lowered.
 */
export async function cliContext(
  configFile: string | undefined,
  capacity?: { running: number; queued: number },
): Promise<CliContext> {
  return contextFor(await loadCliConfig(configFile), capacity);
}

/** cliContext for a config already loaded. */
export function contextFor(loaded: LoadedConfig, capacity?: { running: number; queued: number }): CliContext {
  if (capacity) {
    const caps = loaded.config.concurrency;
    caps.max_running = Math.max(caps.max_running, capacity.running);
    caps.max_queued = Math.max(caps.max_queued, capacity.queued);
  }
  const store = openStore(loaded.config);
  // The version cache is read only by a live run (its protocol's oldest version).
  const versionCache = versionCacheOf(clinvkHome());
  return { loaded, config: loaded.config, store, engine: composeEngine(loaded.config, { store, versionCache }).engine };
}

/** An engine without sessions, for commands that only inspect (doctor); CLI versions are cached. */
export function engineFor(loaded: LoadedConfig): Engine {
  return composeEngine(loaded.config, { versionCache: versionCacheOf(clinvkHome()) }).engine;
}

/** `$CLINVK_HOME/cache/versions.json`: what each CLI's `--version` said, until its file changes. */
export function versionCacheOf(home: string): VersionCache {
  return fileVersionCache(join(home, "cache", "versions.json"));
}
