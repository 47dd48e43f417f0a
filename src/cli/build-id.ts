declare const __CLINVK_BUILD_ID__: string | undefined;

/**
 * Set by scripts/build.mjs, new on every build: what the CLI caches in `$CLINVK_HOME/cache` (the
 * validated configuration, the compiled code) never outlives the code that wrote it. Undefined when
 * the sources run unbundled (tests, the library): then nothing is cached.
 */
export const BUILD_ID: string | undefined = typeof __CLINVK_BUILD_ID__ === "string" ? __CLINVK_BUILD_ID__ : undefined;
