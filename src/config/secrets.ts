/**
 * clinvoker's own secrets: the config keys that hold them and the variables that set them. Apart
 * from the schema so that what strips them from every CLI's environment (engine/prepare.ts) loads
 * no schema: a run starts without TypeBox when its configuration comes from the cache.
 */

/** Keys whose values are secrets: masked in `config show`, never cached (cli/config-cache.ts). */
export const SECRET_KEYS: readonly string[] = ["server.api_keys", "store.url", "redis.url"];

/** Variables that carry them (the Go clinvoker's CLINVK_API_KEYS and the nested name): never passed to a CLI. */
export const SECRET_VARIABLES: readonly string[] = [
  "CLINVK_API_KEYS",
  "CLINVK_SERVER_API_KEYS",
  // They may hold the database's or Redis's password.
  "CLINVK_STORE_URL",
  "CLINVK_REDIS_URL",
];
