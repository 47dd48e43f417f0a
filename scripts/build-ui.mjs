// Builds the dashboard (ui/) into one directory of static files: index.html, app.js (Preact, bundled
// and minified by esbuild) and app.css. Nothing is fetched at run time. Usage: node scripts/build-ui.mjs [outdir]
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildUi(outdir = join(root, "dist", "ui")) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { app: "ui/src/main.tsx", style: "ui/src/style.css" },
    outdir,
    entryNames: "[name]",
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: ["chrome110", "firefox110", "safari16"],
    jsx: "automatic",
    jsxImportSource: "preact",
    tsconfig: "ui/tsconfig.json",
    logLevel: "warning",
    legalComments: "none",
  });
  // esbuild names the stylesheet after its entry; the page links app.css.
  copyFileSync(join(outdir, "style.css"), join(outdir, "app.css"));
  rmSync(join(outdir, "style.css"));
  copyFileSync(join(root, "ui", "index.html"), join(outdir, "index.html"));
  return outdir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildUi(process.argv[2]);
