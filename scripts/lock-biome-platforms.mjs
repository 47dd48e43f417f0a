// The npm registry reachable here carries only the linux-x64 build of Biome, so npm cannot record the
// other platforms' optional packages in package-lock.json, and `npm ci` then refuses the lock as out of
// sync. This adds their entries (version, os, cpu, no tarball: an optional package of another platform
// is never fetched). Run it after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from "node:fs";

const path = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(readFileSync(path, "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
for (const [name, version] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu, libc] = name.split("cli-")[1].split("-");
  lock.packages[key] = {
    version,
    cpu: [cpu],
    dev: true,
    license: "MIT OR Apache-2.0",
    optional: true,
    os: [os],
    ...(libc ? { libc: [libc] } : {}),
    engines: { node: ">=14.21.3" },
  };
}
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
