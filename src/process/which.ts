import { accessSync, constants, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";

/**
 * Where CLIs installed with npm usually live when they are not on PATH: npm's global prefix (next to
 * node itself, or $NPM_CONFIG_PREFIX), the common user prefixes, then the project's node_modules.
 */
export function npmInstallDirs(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const home = env.HOME || homedir();
  const dirs = [
    env.NPM_CONFIG_PREFIX && join(env.NPM_CONFIG_PREFIX, "bin"),
    env.npm_config_prefix && join(env.npm_config_prefix, "bin"),
    dirname(process.execPath),
    join(home, ".npm-global", "bin"),
    join(home, ".local", "bin"),
    join(home, ".volta", "bin"),
    join(home, ".bun", "bin"),
    "/usr/local/bin",
    "/opt/homebrew/bin",
    join(cwd, "node_modules", ".bin"),
  ];
  return [...new Set(dirs.filter((dir): dir is string => Boolean(dir)))];
}

/**
 * Finds an executable like `which`: an explicit path is checked as is; a bare name is looked up on
 * PATH, then in `fallbackDirs`.
 */
export function findExecutable(
  nameOrPath: string,
  pathEnv = process.env.PATH ?? "",
  fallbackDirs: readonly string[] = [],
): string | undefined {
  if (nameOrPath.includes("/")) {
    const candidate = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
    return isExecutableFile(candidate) ? candidate : undefined;
  }
  for (const dir of [...pathEnv.split(delimiter), ...fallbackDirs]) {
    if (!dir) continue;
    const candidate = join(dir, nameOrPath);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
