#!/usr/bin/env node
// Installs the pinned real CLIs (claude, codex, gemini) used by the end-to-end tests into .cache/e2e-clis
// (git-ignored; about 700 MB, so never as dependencies of the package). The pins live in
// test/e2e/cli-versions.json. Quick and silent when everything is already installed at the pinned versions.
//
//   node scripts/install-e2e-clis.mjs           install if missing or at another version
//   node scripts/install-e2e-clis.mjs --check   only check; exit 1 when an install is needed
//   node scripts/install-e2e-clis.mjs --force   reinstall even when up to date
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// CLINVK_E2E_CLI_DIR moves the install (e.g. to a CI cache); test/e2e/cli-env.ts reads the same variable.
const installDir = process.env.CLINVK_E2E_CLI_DIR
  ? resolve(process.env.CLINVK_E2E_CLI_DIR)
  : join(root, ".cache", "e2e-clis");
const pins = JSON.parse(readFileSync(join(root, "test", "e2e", "cli-versions.json"), "utf8"));

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

/** The CLIs that are missing, at another version, or without their executable. */
function outdated() {
  const out = [];
  for (const [cli, pin] of Object.entries(pins)) {
    const pkg = readJson(join(installDir, "node_modules", ...pin.package.split("/"), "package.json"));
    const bin = join(installDir, "node_modules", ".bin", cli);
    // existsSync follows the .bin symlink, so a dangling link counts as missing.
    if (!pkg || pkg.version !== pin.version || !existsSync(bin)) {
      out.push(`${cli} (${pin.package}@${pin.version}, found ${pkg?.version ?? "none"})`);
    }
  }
  return out;
}

const args = new Set(process.argv.slice(2));
const todo = args.has("--force") ? Object.keys(pins) : outdated();
if (todo.length === 0) process.exit(0);
if (args.has("--check")) {
  console.error(`e2e CLIs need installing: ${todo.join(", ")}. Run: node scripts/install-e2e-clis.mjs`);
  process.exit(1);
}

console.error(`installing pinned e2e CLIs into ${installDir}: ${todo.join(", ")}`);
mkdirSync(installDir, { recursive: true });
const dependencies = Object.fromEntries(Object.values(pins).map((p) => [p.package, p.version]));
writeFileSync(
  join(installDir, "package.json"),
  `${JSON.stringify({ name: "clinvoker-e2e-clis", private: true, dependencies }, null, 2)}\n`,
);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const result = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--no-update-notifier", "--loglevel=error"], {
  cwd: installDir,
  encoding: "utf8",
  stdio: ["ignore", "pipe", "pipe"],
});
if (result.status !== 0) {
  process.stderr.write(result.stdout ?? "");
  process.stderr.write(result.stderr ?? "");
  console.error(`npm install failed (exit ${result.status ?? result.signal}) in ${installDir}`);
  process.exit(1);
}
const still = outdated();
if (still.length > 0) {
  console.error(`after npm install, still not at the pinned versions: ${still.join(", ")}`);
  process.exit(1);
}
