/** What every command that runs something needs: the loaded config and an engine built from it. */
import { type LoadedConfig, loadConfig } from "../config/load.js";
import { Engine } from "../engine/engine.js";
import { engineOptionsFromConfig } from "../engine/from-config.js";

export function loadCliConfig(configFile: string | undefined): LoadedConfig {
  return loadConfig({ configFile });
}

export function engineFor(loaded: LoadedConfig): Engine {
  return new Engine(engineOptionsFromConfig(loaded.config));
}
