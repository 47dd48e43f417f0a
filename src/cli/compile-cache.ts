/**
 * Node's on-disk cache of compiled code (`module.enableCompileCache`, Node >= 22.1): a start then
 * reads the bundle's chunks' bytecode instead of compiling them again. Kept in
 * `$CLINVK_HOME/cache/node-compile` (the user's own directory, not a shared temporary one: what is in
 * it is run). Node 20 has no such cache and is left as it is; NODE_DISABLE_COMPILE_CACHE=1 turns it
 * off (Node's own switch). Only the bundled CLI enables it (it has a build id); tests run the sources.
 */
import * as nodeModule from "node:module";
import { join } from "node:path";
import { clinvkHome } from "../config/paths.js";
import { BUILD_ID } from "./config-cache.js";

type EnableCompileCache = (directory?: string) => unknown;

/** `node` and `buildId` are Node's module namespace and the bundle's build id; tests give others. */
export function enableCompileCache(
  env: NodeJS.ProcessEnv = process.env,
  node: { enableCompileCache?: EnableCompileCache } = nodeModule as { enableCompileCache?: EnableCompileCache },
  buildId: string | undefined = BUILD_ID,
): void {
  const enable = node.enableCompileCache;
  if (typeof enable !== "function" || buildId === undefined) return;
  try {
    enable(join(clinvkHome(env), "cache", "node-compile"));
  } catch {
    // A cache that cannot be made only costs speed.
  }
}
