import { describe, expect, it } from "vitest";
import { terminalPermissions } from "../../src/cli/permission-prompt.js";

const context = () => ({ backend: "claude" as const, workdir: "/w", signal: new AbortController().signal });
const request = (id: string) => ({ id, tool: "Bash", input: { command: `echo ${id}` } });

describe("terminalPermissions", () => {
  it("is off without a terminal", () => {
    expect(terminalPermissions(async () => "y", false)).toBeUndefined();
  });

  it("allows on yes, denies on anything else, and asks one question at a time", async () => {
    const questions: string[] = [];
    const answers = ["yes", "", "n"];
    let open = 0;
    const handler = terminalPermissions(async (question) => {
      open += 1;
      expect(open).toBe(1);
      questions.push(question);
      await new Promise((resolve) => setTimeout(resolve, 20));
      open -= 1;
      return answers.shift();
    }, true);
    if (!handler) throw new Error("expected a handler");
    const decisions = await Promise.all(["a", "b", "c"].map((id) => handler(request(id), context())));
    expect(decisions.map((d) => d.behavior)).toEqual(["allow", "deny", "deny"]);
    expect(questions[0]).toContain('claude asks to run Bash {"command":"echo a"}');
  });

  it("does not ask for a run that has ended", async () => {
    const controller = new AbortController();
    controller.abort();
    let asked = false;
    const handler = terminalPermissions(async () => {
      asked = true;
      return "y";
    }, true);
    const decision = await handler?.(request("x"), { ...context(), signal: controller.signal });
    expect(decision?.behavior).toBe("deny");
    expect(asked).toBe(false);
  });
});
