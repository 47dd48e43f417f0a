/** What every command that runs something needs: the config, the session store, an engine. */
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { clinvkHome } from "../config/paths.js";
import type { Config } from "../config/schema.js";
import type { Engine } from "../engine/engine.js";
import { composeEngine } from "../engine/from-config.js";
import { sessionStoreFromConfig } from "../engine/session-store.js";
import type { SessionStore } from "../sessions/store.js";

export interface CliContext {
  loaded: LoadedConfig;
  config: Config;
  store: SessionStore;
  engine: Engine;
}

export function loadCliConfig(configFile: string | undefined): LoadedConfig {
  return loadConfig({ configFile });
}

/** The store of the config: PostgreSQL when `store.url` is set, else `$CLINVK_HOME/sessions`. */
export function openStore(config: Config = loadCliConfig(undefined).config): SessionStore {
  return sessionStoreFromConfig(config, clinvkHome());
}

/**
 * The config, store and engine of one command. `capacity` raises the admission gate for a workflow
 * whose own cap the user chose (`--max-parallel`), so that it is not silently lowered.
 */
export function cliContext(configFile: string | undefined, capacity?: { running: number; queued: number }): CliContext {
  return contextFor(loadCliConfig(configFile), capacity);
}

/** cliContext for a config already loaded. */
export function contextFor(loaded: LoadedConfig, capacity?: { running: number; queued: number }): CliContext {
  if (capacity) {
    const caps = loaded.config.concurrency;
    caps.max_running = Math.max(caps.max_running, capacity.running);
    caps.max_queued = Math.max(caps.max_queued, capacity.queued);
  }
  const store = openStore(loaded.config);
  return { loaded, config: loaded.config, store, engine: composeEngine(loaded.config, { store }).engine };
}

/** An engine without sessions, for commands that only inspect (doctor). */
export function engineFor(loaded: LoadedConfig): Engine {
  return composeEngine(loaded.config).engine;
}
