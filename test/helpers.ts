import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend, ParsedOutcome } from "../src/backends/backend.js";
import type { EventBody } from "../src/core/events.js";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURES = join(ROOT, "test", "fixtures");
export const FAKE_CLI_DIR = join(FIXTURES, "fake-cli");
export const FAKE_CLI = join(FAKE_CLI_DIR, "fake-cli.mjs");

export function fixturePath(cli: string, name: string, ext: "stdout" | "stderr" | "rc"): string {
  return join(FIXTURES, "cli-output", cli, `${name}.${ext}`);
}

/** Feeds a recorded run of the real CLI through a backend's parser. */
export function parseRecorded(backend: Backend, name: string): { events: EventBody[]; outcome: ParsedOutcome } {
  const stdout = readFileSync(fixturePath(backend.name, name, "stdout"), "utf8");
  const stderr = readFileSync(fixturePath(backend.name, name, "stderr"), "utf8");
  const exitCode = Number(readFileSync(fixturePath(backend.name, name, "rc"), "utf8").trim());
  const parser = backend.createParser();
  const events: EventBody[] = [];
  for (const line of stdout.split("\n")) if (line) events.push(...parser.line(line));
  const outcome = parser.finish({ exitCode, signal: null, stderr });
  return { events, outcome };
}

export const ofType = <T extends EventBody["type"]>(events: EventBody[], type: T) =>
  events.filter((event): event is Extract<EventBody, { type: T }> => event.type === type);

export const textOf = (events: EventBody[]) =>
  ofType(events, "text")
    .map((event) => event.text)
    .join("");
