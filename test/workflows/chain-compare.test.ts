import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { runChain } from "../../src/workflows/chain.js";
import { runCompare } from "../../src/workflows/compare.js";
import { parseSpec } from "../../src/workflows/spec-file.js";
import { type ChainSpec, ChainSpecSchema, type ParallelSpec, ParallelSpecSchema } from "../../src/workflows/specs.js";
import { drain, echoEngine, maxOverlap } from "./fake-engine.js";

const options = { defaultBackend: "claude" as const };

describe("runChain", () => {
  it("feeds each step the answers before it", async () => {
    const { engine } = echoEngine();
    const spec: ChainSpec = {
      steps: [
        { name: "draft", prompt: "draft" },
        { backend: "codex", prompt: "improve {{previous}}" },
        { prompt: "compare {{steps.draft.output}} with {{steps.2.output}}" },
      ],
    };
    const { summary } = await drain(runChain(engine, spec, options));
    expect(summary).toMatchObject({ total_steps: 3, completed_steps: 3 });
    expect(summary.failed_step).toBeUndefined();
    expect(summary.results.map((r) => r.output)).toEqual([
      "echo: draft",
      "echo: improve echo: draft",
      "echo: compare echo: draft with echo: improve echo: draft",
    ]);
    expect(summary.results[1]).toMatchObject({ step: 2, backend: "codex" });
  });

  it("stops at a failure by default, goes on when asked", async () => {
    const { engine } = echoEngine();
    const spec: ChainSpec = { steps: [{ prompt: "a" }, { prompt: "FAIL" }, { prompt: "c {{previous}}" }] };
    const stopped = (await drain(runChain(engine, spec, options))).summary;
    expect(stopped.failed_step).toBe(2);
    expect(stopped.results.map((r) => r.status)).toEqual(["completed", "failed", "cancelled"]);
    const goOn = (await drain(runChain(engine, spec, { ...options, continueOnFailure: true }))).summary;
    expect(goOn.results.map((r) => r.status)).toEqual(["completed", "failed", "completed"]);
  });

  it("passes the working directory on when told to", async () => {
    const { engine } = echoEngine();
    const dir = mkdtempSync(`${tmpdir()}/clinvk-chain-`);
    const spec: ChainSpec = { pass_working_dir: true, steps: [{ prompt: "a", workdir: dir }, { prompt: "b" }] };
    const { events } = await drain(runChain(engine, spec, options));
    const starts = events.flatMap((e) =>
      e.type === "task_output" && e.event.type === "start" ? [e.event.workdir] : [],
    );
    expect(starts).toEqual([dir, dir]);
  });

  it.each([
    [{ steps: [{ prompt: "{{previous}}" }] }, /step 1: \{\{previous\}\} has no previous step/],
    [{ steps: [{ prompt: "a" }, { prompt: "{{steps.nope.output}}" }] }, /names no earlier step/],
    [{ steps: [{ prompt: "{{session}}" }] }, /not supported/],
    [{ pass_session_id: true, steps: [{ prompt: "a" }] }, /always ephemeral/],
    [{ steps: [{ prompt: "a", workdir: "/nonexistent/dir" }] }, /step 1: workdir .* does not exist/],
  ] as [ChainSpec, RegExp][])("rejects a bad chain before any step runs: %j", async (spec, message) => {
    const { engine, runs } = echoEngine();
    await expect(drain(runChain(engine, spec, options))).rejects.toThrow(message);
    expect(runs()).toHaveLength(0);
  });
});

describe("runCompare", () => {
  it("runs one prompt on each backend, at once or one after another", async () => {
    const { engine, runs } = echoEngine(200);
    const parallel = (await drain(runCompare(engine, { prompt: "hi", backends: ["claude", "codex", "gemini"] })))
      .summary;
    expect(parallel.results.map((r) => [r.backend, r.output])).toEqual([
      ["claude", "echo: hi"],
      ["codex", "echo: hi"],
      ["gemini", "echo: hi"],
    ]);
    expect(maxOverlap(runs())).toBe(3);
    const { engine: engine2, runs: runs2 } = echoEngine(100);
    await drain(runCompare(engine2, { prompt: "hi", backends: ["claude", "codex"], sequential: true }));
    expect(maxOverlap(runs2())).toBe(1);
  });
});

describe("task and chain files", () => {
  const parse = (text: string) => parseSpec<ParallelSpec>({ name: "tasks.yaml", text }, ParallelSpecSchema, "tasks");

  it("reads JSON and YAML in the Go clinvoker's format", () => {
    const json = parse(
      '{"tasks":[{"backend":"codex","prompt":"a","id":"x","tags":["t"],"meta":{"k":"v"}}],"max_parallel":2,"fail_fast":true,"output_dir":"out"}',
    );
    expect(json).toMatchObject({
      max_parallel: 2,
      fail_fast: true,
      output_dir: "out",
      tasks: [{ id: "x", meta: { k: "v" } }],
    });
    const yaml = parse("tasks:\n  - prompt: a\n    backend: gemini\n    depends_on: [x]\n");
    expect(yaml.tasks[0]).toMatchObject({ backend: "gemini", depends_on: ["x"] });
  });

  it.each([
    ['{"tasks": [ {"prompt": "a",}', /tasks\.yaml:1: not valid JSON or YAML/],
    ["tasks:\n  - backend: claude\n", /tasks\.yaml:2: task 1: missing prompt/],
    [
      "tasks:\n  - prompt: a\n  - prompt: b\n    backend: chatgpt\n",
      /tasks\.yaml:4: task 2: backend: .*claude, codex, gemini/,
    ],
    ["tasks:\n  - prompt: a\n    id: x\n    colour: red\n", /task 1 \(x\): unknown field colour/],
    ["tasks: []\n", /tasks/],
    ["taks:\n  - prompt: a\n", /unknown field taks/],
    ["- prompt: a\n", /expected an object with "tasks"/],
  ])("rejects %j with the place and the problem", (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it("chain files", () => {
    const chain = parseSpec<ChainSpec>(
      { name: "c.json", text: '{"steps":[{"name":"a","prompt":"x"}],"pass_working_dir":true}' },
      ChainSpecSchema,
      "steps",
    );
    expect(chain.steps[0]?.name).toBe("a");
    expect(() => parseSpec({ name: "c.json", text: '{"steps":[{"promt":"x"}]}' }, ChainSpecSchema, "steps")).toThrow(
      /step 1: unknown field promt/,
    );
  });
});
