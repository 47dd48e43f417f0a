import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** Where clinvoker keeps its files: `$CLINVK_HOME`, else `~/.clinvk`. */
export function clinvkHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.CLINVK_HOME ? resolve(env.CLINVK_HOME) : join(homedir(), ".clinvk");
}

export interface ConfigLocation {
  path: string;
  /** Named explicitly (--config or CLINVK_CONFIG): then it must exist. */
  explicit: boolean;
}

/** The config file in use: `--config`, else `$CLINVK_CONFIG`, else `$CLINVK_HOME/config.yaml`. */
export function configLocation(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigLocation {
  if (flag) return { path: resolve(flag), explicit: true };
  if (env.CLINVK_CONFIG) return { path: resolve(env.CLINVK_CONFIG), explicit: true };
  return { path: join(clinvkHome(env), "config.yaml"), explicit: false };
}
