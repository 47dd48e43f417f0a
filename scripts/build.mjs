// Builds the `clinvk` binary as one fast-starting esbuild bundle (with code splitting so that each
// subcommand's heavy modules load only when used) and the library as plain ESM with type declarations.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, rmSync } from "node:fs";
import { build } from "esbuild";
import { buildUi } from "./build-ui.mjs";

const banner = [
  'import { createRequire as __clinvkCreateRequire } from "node:module";',
  'import { fileURLToPath as __clinvkFileURLToPath } from "node:url";',
  'import { dirname as __clinvkDirname } from "node:path";',
  "const require = __clinvkCreateRequire(import.meta.url);",
  "const __filename = __clinvkFileURLToPath(import.meta.url);",
  "const __dirname = __clinvkDirname(__filename);",
].join("\n");

// --cli (the tests' quick build) rebuilds the binary alone and leaves the library in dist/lib as it was.
const onlyCli = process.argv.includes("--cli");
for (const stale of onlyCli ? ["dist/cli.js", "dist/chunks"] : ["dist"])
  rmSync(stale, { recursive: true, force: true });

await build({
  entryPoints: { cli: "src/cli/main.ts" },
  outdir: "dist",
  chunkNames: "chunks/[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  banner: { js: `#!/usr/bin/env node\n${banner}` },
  logLevel: "warning",
  legalComments: "none",
  // New on every build: what the CLI caches in $CLINVK_HOME (cli/config-cache.ts) is keyed by it.
  define: { __CLINVK_BUILD_ID__: JSON.stringify(randomUUID()) },
});
// The file is new on every build: keep it executable for `npm link`, which set the bit only once.
chmodSync("dist/cli.js", 0o755);

// The dashboard (/ui on clinvk serve): static files in dist/ui, never imported by the CLI's code.
if (!onlyCli) await buildUi();

if (!onlyCli && existsSync("tsconfig.build.json")) {
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
}
