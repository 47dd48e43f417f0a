// Runs the provider stub standalone, for manual use:
//   npx tsx test/e2e/stub/main.ts [--port N] [--host H] [--script turns.json] [--quiet]
// Then point a CLI at it (see test/e2e/README.md), script turns with
//   curl -s -X POST localhost:N/__stub/script -d '[{"text":"hi"},{"error":{"status":429,"retryAfter":2}}]'
// and read what the CLIs sent with `curl -s localhost:N/__stub/requests`, or clear with POST /__stub/reset.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startProviderStub } from "./server.js";
import type { TurnInput } from "./types.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    script: { type: "string" },
    quiet: { type: "boolean", default: false },
  },
});

const stub = await startProviderStub({
  port: Number(values.port),
  host: values.host,
  controlApi: true,
  log: values.quiet ? undefined : (line) => console.error(line),
});
if (values.script) {
  const parsed = JSON.parse(readFileSync(values.script, "utf8")) as TurnInput | TurnInput[];
  stub.script(Array.isArray(parsed) ? parsed : [parsed]);
}
console.log(stub.url);

const stop = () => {
  stub.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
