import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/core/events.js";
import type { RunRequest, RunResult } from "../../src/core/request.js";
import {
  checkAnswer,
  compileSchema,
  nativeSchema,
  strictCompatible,
  structuredRun,
} from "../../src/engine/structured-output.js";

const schema = {
  type: "object",
  properties: { city: { type: "string" }, people: { type: "integer" } },
  required: ["city", "people"],
  additionalProperties: false,
};

function result(text: string, extra: Partial<RunResult> = {}): RunResult {
  return {
    status: "success",
    text,
    backend: "claude",
    backend_session_id: "cli-1",
    usage: { input_tokens: 1, output_tokens: 1, cached_tokens: 0, reasoning_tokens: 0 },
    duration_ms: 1,
    exit_code: 0,
    ...extra,
  } as RunResult;
}

/** A CLI that answers each run with the next text, recording the requests it got. */
function scripted(answers: string[]) {
  const requests: RunRequest[] = [];
  const runOnce = async function* (request: RunRequest): AsyncGenerator<RunEvent, RunResult, undefined> {
    requests.push(request);
    const text = answers[requests.length - 1] ?? "";
    yield { type: "text", text } as RunEvent;
    const final = result(text);
    yield { type: "result", ...final } as RunEvent;
    return final;
  };
  return { requests, runOnce };
}

async function drain(events: AsyncGenerator<RunEvent, RunResult, undefined>) {
  const seen: RunEvent[] = [];
  let step = await events.next();
  while (!step.done) {
    seen.push(step.value);
    step = await events.next();
  }
  return { seen, result: step.value };
}

describe("structured output", () => {
  it("checks the answer: fenced JSON is taken, a wrong shape says where", () => {
    const validate = compileSchema(schema);
    expect(checkAnswer(validate, '```json\n{"city":"Oslo","people":3}\n```')).toMatchObject({
      ok: true,
      json: '{"city":"Oslo","people":3}',
    });
    expect(checkAnswer(validate, 'Here: {"city":"Oslo","people":3}')).toMatchObject({ ok: true });
    expect(checkAnswer(validate, '{"city":"Oslo","people":"three"}')).toEqual({
      ok: false,
      problems: "/people must be integer",
    });
    expect(checkAnswer(validate, "no idea")).toEqual({ ok: false, problems: "the answer is not JSON" });
  });

  it("refuses what is not a schema before anything runs", () => {
    expect(() => compileSchema([])).toThrow(/JSON Schema object/);
    expect(() => compileSchema({ type: "nonsense" })).toThrow(/not a valid JSON Schema/);
    expect(strictCompatible(schema)).toBe(true);
    expect(strictCompatible({ type: "object" })).toBe(false);
  });

  it("a valid first answer: one run, the schema in its prompt, the JSON as the result", async () => {
    const cli = scripted(['{"city":"Oslo","people":3}']);
    const { seen, result: final } = await drain(
      structuredRun({ backend: "claude", prompt: "Where?", outputSchema: schema }, cli.runOnce),
    );
    expect(cli.requests).toHaveLength(1);
    expect(cli.requests[0]?.prompt).toContain("Where?");
    expect(cli.requests[0]?.prompt).toContain(JSON.stringify(schema));
    expect(final).toMatchObject({ status: "success", text: '{"city":"Oslo","people":3}' });
    expect(seen.filter((event) => event.type === "result")).toHaveLength(1);
  });

  it("a wrong answer is repaired once, in the same CLI conversation, with the errors", async () => {
    const cli = scripted(['{"city":"Oslo"}', '{"city":"Oslo","people":3}']);
    const { seen, result: final } = await drain(
      structuredRun({ backend: "claude", prompt: "Where?", outputSchema: schema, newSessionId: "s1" }, cli.runOnce),
    );
    expect(cli.requests).toHaveLength(2);
    expect(cli.requests[1]).toMatchObject({ resume: { backendSessionId: "cli-1" }, newSessionId: undefined });
    expect(cli.requests[1]?.prompt).toContain("must have required property 'people'");
    expect(final.text).toBe('{"city":"Oslo","people":3}');
    expect(final.usage).toMatchObject({ input_tokens: 2, output_tokens: 2 });
    expect(seen.filter((event) => event.type === "result")).toEqual([expect.objectContaining({ text: final.text })]);
  });

  it("a second miss is bad_output naming the problem; an ephemeral run repairs in a new run", async () => {
    const cli = scripted(["nope", "still nope"]);
    const { result: final } = await drain(
      structuredRun({ backend: "gemini", prompt: "Where?", outputSchema: schema, ephemeral: true }, cli.runOnce),
    );
    expect(cli.requests[1]?.resume).toBeUndefined();
    expect(cli.requests[1]?.prompt).toContain("Your previous answer was:\nnope");
    expect(final).toMatchObject({ status: "error", error: { code: "bad_output" } });
    expect(final.error?.message).toContain("the answer is not JSON");
  });

  it("codex's schema file is private and removed; only strict schemas go to it", async () => {
    const native = await nativeSchema({ via: "file", takes: "strict" }, schema);
    const path = native?.arg.via === "file" ? native.arg.path : "";
    const { readFileSync, statSync, existsSync } = await import("node:fs");
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual(schema);
    expect(statSync(path).mode & 0o077).toBe(0);
    await native?.remove();
    expect(existsSync(path)).toBe(false);
    expect(await nativeSchema({ via: "file", takes: "strict" }, { type: "object" })).toBeUndefined();
  });

  it("claude's schema is its JSON for argv, for object schemas only; none without the capability", async () => {
    const native = await nativeSchema({ via: "argv", takes: "object" }, { type: "object" });
    expect(native?.arg).toEqual({ via: "argv", json: '{"type":"object"}' });
    expect(await nativeSchema({ via: "argv", takes: "object" }, { type: "array" })).toBeUndefined();
    expect(await nativeSchema(undefined, schema)).toBeUndefined();
    // Under the 64 Ki-character limit, but over 64 KiB in UTF-8: too big for one argv string, the prompt says it.
    const wide = { type: "object", description: "é".repeat(40_000) };
    expect(compileSchema(wide)).toBeTypeOf("function");
    expect(await nativeSchema({ via: "argv", takes: "object" }, wide)).toBeUndefined();
  });
});
