/**
 * The `clinvk` executable (dist/cli.cjs): answers `--version` itself, and runs the bundled CLI
 * (dist/clinvk.cjs, from main.ts) through the code cache. Kept to a few small modules: everything it
 * imports is loaded before the cache can help.
 */
import { join } from "node:path";
import { VERSION } from "../version.js";
import { BUILD_ID } from "./build-id.js";
import { codeCacheFile, runWithCodeCache } from "./code-cache.js";

const argv = process.argv;
if (argv.length === 3 && (argv[2] === "--version" || argv[2] === "-V")) process.stdout.write(`${VERSION}\n`);
else runWithCodeCache(join(__dirname, "clinvk.cjs"), codeCacheFile(BUILD_ID, argv));
