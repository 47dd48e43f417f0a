// biome-ignore-all lint/suspicious/noExplicitAny: the fake's wire JSON is read loosely.
// The live protocol of test/fixtures/fake-live-cli: a codec as small as the contract allows, for the host's tests.
import { join } from "node:path";
import type { Backend } from "../../src/backends/backend.js";
import { claude } from "../../src/backends/claude.js";
import type { LiveCodec, LiveProtocol, LiveStep } from "../../src/backends/live-protocol.js";
import { BackendRegistry } from "../../src/engine/registry.js";
import { FIXTURES } from "../helpers.js";

export const FAKE_LIVE_CLI = join(FIXTURES, "fake-live-cli", "fake-live-cli.mjs");

const step = (partial: Partial<LiveStep> = {}): LiveStep => ({ events: [], write: [], ...partial });

export const fakeLiveProtocol = (resume: LiveProtocol["capabilities"]["resume"] = "launch"): LiveProtocol => ({
  capabilities: { interrupt: true, permissions: true, resume, streaming: true },
  minVersion: "0.0.0",
  launch: (options) => ({ args: options.resume ? ["--resume", options.resume] : [], warnings: [] }),
  connect(): LiveCodec {
    let conversation: string | undefined;
    return {
      get conversationId() {
        return conversation;
      },
      start: () => [JSON.stringify({ op: "hello" })],
      turn: (input) => [JSON.stringify({ op: "turn", prompt: input.prompt })],
      interrupt: () => [JSON.stringify({ op: "interrupt" })],
      decide: (id, decision) => [JSON.stringify({ op: "decide", id, ...decision })],
      line(line) {
        let message: Record<string, any>;
        try {
          message = JSON.parse(line);
        } catch {
          return step({ events: [{ type: "raw", stream: "stdout", line }] });
        }
        if (message.ready) return step({ ready: true });
        if (message.permission) return step({ permission: message.permission });
        if (message.done) {
          conversation = message.conversation;
          return step({
            events: [{ type: "notice", level: "info", message: `history: ${JSON.stringify(message.history)}` }],
            turnEnd: {
              text: message.text,
              backendSessionId: message.conversation,
              events: [],
              ...(message.interrupted ? { interrupted: true } : {}),
            },
          });
        }
        if (typeof message.text === "string") return step({ events: [{ type: "text", text: message.text }] });
        return step();
      },
      exited: (outcome) => ({
        text: "",
        events: [],
        error: { code: "backend_crashed", message: `fake exited with ${outcome.exitCode}` },
      }),
    };
  },
});

/** Claude with the fake's live mode, in a registry whose claude is the fake live CLI. */
export function fakeLiveRegistry(resume?: LiveProtocol["capabilities"]["resume"]): BackendRegistry {
  const backend: Backend = { ...claude, live: fakeLiveProtocol(resume) };
  return new (class extends BackendRegistry {
    override get(name: string): Backend {
      return name === "claude" ? backend : super.get(name);
    }
  })({ binaries: { claude: FAKE_LIVE_CLI } });
}
