import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { defaults } from "../../src/config/keys.js";
import { LiveConfig } from "../../src/config/live.js";
import type { Config } from "../../src/config/schema.js";
import type { BreakerRegistry } from "../../src/engine/circuit-breaker.js";
import { Engine } from "../../src/engine/engine.js";
import { engineOptionsFromConfig } from "../../src/engine/from-config.js";
import type { LivePool } from "../../src/engine/live-pool.js";
import type { BackendRegistry } from "../../src/engine/registry.js";
import type { AnthropicSurfaceOptions } from "../../src/server/anthropic/routes.js";
import { buildServer } from "../../src/server/build-server.js";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { FAKE_CLI_DIR } from "../helpers.js";

export type ConfigChange = (config: Config) => void;

/** A server whose backends are the fake CLI in echo mode, with a private store and config. */
export async function testServer(
  change: ConfigChange = () => {},
  options: {
    delayMs?: number;
    env?: Record<string, string>;
    anthropic?: AnthropicSurfaceOptions;
    breakers?: BreakerRegistry;
    logger?: FastifyServerOptions["logger"];
    /** The backends (a registry with the fake live CLI, test/engine/fake-live-protocol.ts). */
    registry?: BackendRegistry;
    /** Keeps live processes between turns, as `clinvk serve` does. */
    livePool?: LivePool;
  } = {},
): Promise<{ app: FastifyInstance; live: LiveConfig; store: FileSessionStore; home: string }> {
  const config = defaults() as unknown as Config;
  for (const name of ["claude", "codex", "gemini"] as const) config.backends[name].binary = join(FAKE_CLI_DIR, name);
  config.server.child_env = ["FAKE_CLI_*"]; // the fake CLI's switches pass the server's env allowlist
  change(config);
  const live = new LiveConfig(config);
  const home = mkdtempSync(join(tmpdir(), "clinvk-server-"));
  const store = new FileSessionStore(home);
  const engine = new Engine({
    ...engineOptionsFromConfig(config, store),
    env: { ...process.env, FAKE_CLI_MODE: "echo", FAKE_CLI_DELAY_MS: String(options.delayMs ?? 0), ...options.env },
    killGraceMs: 300,
    breakers: options.breakers,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.livePool ? { livePool: options.livePool } : {}),
  });
  const app = await buildServer({ engine, store, config: live, anthropic: options.anthropic, logger: options.logger });
  return { app, live, store, home };
}

export const ndjson = (body: string) =>
  body
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));

export function sse(body: string): { event?: string; data: unknown }[] {
  return body
    .split("\n\n")
    .filter((frame) => frame.includes("data:"))
    .map((frame) => {
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = frame
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      return { event, data: data === "[DONE]" ? data : JSON.parse(data) };
    });
}
