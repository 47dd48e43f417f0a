// Builds the `clinvk` binary as two CommonJS files: dist/clinvk.cjs, the whole CLI in one bundle (so
// that a start reads one file, whose compiled code src/cli/code-cache.ts keeps in V8's code cache),
// and dist/cli.cjs, the small launcher that runs it; and the library as plain ESM with type declarations.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { BINARY_FILES, BUNDLE, LAUNCHER } from "./binary.mjs";
import { buildUi } from "./build-ui.mjs";

// --cli (the tests' quick build) rebuilds the binary alone and leaves the library in dist/lib as it was.
const onlyCli = process.argv.includes("--cli");
// dist/cli.js and dist/chunks: the ES-module build of before the code cache.
const stale = onlyCli ? [...BINARY_FILES, "cli.js", "chunks"].map((name) => join("dist", name)) : ["dist"];
for (const path of stale) rmSync(path, { recursive: true, force: true });

const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  logLevel: "warning",
  legalComments: "none",
  // ASCII only, so that the launcher reads the bundle as a one-byte string without decoding it.
  charset: "ascii",
  // Half the bytes to read and to keep compiled, ~5% of a run (docs/performance.md); keepNames keeps
  // every function's and class's .name as written (error names, fastify's plugin names).
  minify: true,
  keepNames: true,
  // New on every build: what the CLI caches in $CLINVK_HOME (the configuration, the compiled code) is keyed by it.
  define: { __CLINVK_BUILD_ID__: JSON.stringify(randomUUID()), "import.meta.url": "__clinvkImportMetaUrl" },
};
await build({
  ...common,
  entryPoints: ["src/cli/main.ts"],
  outfile: join("dist", BUNDLE),
  banner: { js: 'var __clinvkImportMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
});
await build({
  ...common,
  entryPoints: ["src/cli/launcher.ts"],
  outfile: join("dist", LAUNCHER),
  banner: { js: "#!/usr/bin/env node" },
});
for (const file of BINARY_FILES.map((name) => join("dist", name))) {
  const offset = readFileSync(file).findIndex((byte) => byte > 0x7f);
  if (offset !== -1) throw new Error(`${file} is not ASCII (byte ${offset}): code-cache.ts reads it as latin1`);
}
// The file is new on every build: keep it executable for `npm link`, which set the bit only once.
chmodSync(join("dist", LAUNCHER), 0o755);

// The dashboard (/ui on clinvk serve): static files in dist/ui, never imported by the CLI's code.
if (!onlyCli) await buildUi();

if (!onlyCli && existsSync("tsconfig.build.json")) {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
