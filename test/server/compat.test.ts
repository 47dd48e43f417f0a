import { describe, expect, it } from "vitest";
import { classifyProviderError } from "../../src/backends/classify.js";
import { ClinvkError } from "../../src/core/errors.js";
import {
  fingerprint,
  mergeTurns,
  normalizeText,
  prefixFingerprints,
  promptFor,
  splitLatest,
  type Turn,
  titleOf,
} from "../../src/server/compat/conversation.js";
import { CompatError, failureOf, failureOfInfo, paramOf } from "../../src/server/compat/errors.js";
import { AnswerText } from "../../src/server/compat/live-turn.js";
import { modelCatalog, routeModel } from "../../src/server/compat/models.js";
import { estimateConversation, estimateTokens, tokenCounts } from "../../src/server/compat/tokens.js";

const user = (text: string): Turn => ({ role: "user", text });
const assistant = (text: string): Turn => ({ role: "assistant", text });

describe("model routing", () => {
  it.each([
    ["claude/sonnet", { backend: "claude", model: "sonnet" }],
    ["codex/gpt-5", { backend: "codex", model: "gpt-5" }],
    ["gemini/gemini-2.5-pro", { backend: "gemini", model: "gemini-2.5-pro" }],
    ["codex/fast", { backend: "codex", model: "fast" }],
    ["claude-sonnet-4-5-20250929", { backend: "claude", model: "claude-sonnet-4-5-20250929" }],
    ["sonnet", { backend: "claude", model: "sonnet" }],
    ["Opus", { backend: "claude", model: "Opus" }],
    ["haiku", { backend: "claude", model: "haiku" }],
    ["gpt-4o", { backend: "codex", model: "gpt-4o" }],
    ["o3", { backend: "codex", model: "o3" }],
    ["o3-mini", { backend: "codex", model: "o3-mini" }],
    ["o4-mini", { backend: "codex", model: "o4-mini" }],
    ["codex-mini-latest", { backend: "codex", model: "codex-mini-latest" }],
    ["gemini-2.5-flash", { backend: "gemini", model: "gemini-2.5-flash" }],
    ["claude", { backend: "claude" }],
    ["codex", { backend: "codex" }],
    ["gemini", { backend: "gemini" }],
  ])("%s → %j", (model, route) => {
    expect(routeModel(model)).toEqual(route);
  });

  it.each(["llama-3", "mistral/large", "claude/", "/sonnet", "o1", "o30", "sonnet-ish", "geminis"])(
    "%s is model_not_found, never a fallback",
    (model) => {
      let error: unknown;
      try {
        routeModel(model);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(CompatError);
      expect(error).toMatchObject({ kind: "model_not_found", param: "model", code: "model_not_found" });
    },
  );

  it("the catalog lists each backend, its known models bare and qualified, and its aliases", () => {
    const catalog = modelCatalog([
      { name: "claude", aliases: ["fast", "best"] },
      { name: "gemini", aliases: [] },
    ]);
    const ids = catalog.map((entry) => entry.id);
    expect(ids).toContain("claude");
    expect(ids).toContain("sonnet");
    expect(ids).toContain("claude/sonnet");
    expect(ids).toContain("claude/fast");
    expect(ids).toContain("gemini/gemini-2.5-pro");
    expect(ids).not.toContain("codex");
    expect(new Set(ids).size).toBe(ids.length);
    expect(catalog.find((entry) => entry.id === "gemini")?.owned_by).toBe("google");
    // Every listed id routes to the backend it is listed under.
    for (const entry of catalog) expect(routeModel(entry.id).backend).toBe(entry.backend);
  });
});

describe("conversation", () => {
  it("merges consecutive turns of one role and drops empty ones", () => {
    expect(mergeTurns([user("a"), user(" b "), assistant(""), assistant("c\r\n"), user("d")])).toEqual([
      user("a\n\nb"),
      assistant("c"),
      user("d"),
    ]);
  });

  it("the fingerprint ignores line endings and outer whitespace, not words or roles", () => {
    const base = fingerprint([user("hello"), assistant("hi there")]);
    expect(fingerprint([user("hello\r\n"), assistant("  hi there")])).toBe(base);
    expect(fingerprint([user("hello"), assistant("hi  there")])).not.toBe(base);
    expect(fingerprint([assistant("hello"), user("hi there")])).not.toBe(base);
    expect(normalizeText(" a\r\nb ")).toBe("a\nb");
  });

  it("is a chain: a stored fingerprint extends to the same value as the whole history", () => {
    const turns = [user("1"), assistant("2"), user("3"), assistant("4")];
    const prefixes = prefixFingerprints(turns);
    expect(prefixes).toHaveLength(4);
    expect(prefixes[3]).toBe(fingerprint(turns));
    expect(fingerprint(turns.slice(2), prefixes[1])).toBe(fingerprint(turns));
  });

  it("splits off the user's newest messages", () => {
    expect(splitLatest([user("a"), assistant("b"), user("c"), user("d")])).toEqual({
      history: [user("a"), assistant("b")],
      latest: [user("c"), user("d")],
    });
    expect(splitLatest([user("a")])).toEqual({ history: [], latest: [user("a")] });
  });

  it("a first prompt carries earlier turns as a transcript; a continued one only what is new", () => {
    expect(promptFor([user("just this")])).toBe("just this");
    const prompt = promptFor([user("what is 2+2?"), assistant("4"), user("and times 3?")]);
    expect(prompt).toContain('<turn role="user">\nwhat is 2+2?\n</turn>');
    expect(prompt).toContain('<turn role="assistant">\n4\n</turn>');
    expect(prompt.endsWith("The user's new message:\n\nand times 3?")).toBe(true);
  });

  it("titles a session after the first user message", () => {
    expect(titleOf([user("fix   the\nbug")])).toBe("fix the bug");
    expect(titleOf([user("x".repeat(100))])).toHaveLength(60);
    expect(titleOf([])).toBeUndefined();
  });

  it("joins the text of separate assistant messages with a blank line", () => {
    const answer = new AnswerText();
    const text = (t: string, message_id?: string) =>
      ({ type: "text", text: t, message_id, v: 1, seq: 0, ts: "", backend: "claude" }) as const;
    expect(answer.add(text("Let me look.", "m1"))).toBe("Let me look.");
    expect(answer.add(text(" Done", "m1"))).toBe(" Done");
    expect(answer.add(text("The answer", "m2"))).toBe("\n\nThe answer");
    expect(answer.add(text(" is 4"))).toBe(" is 4");
    expect(answer.value).toBe("Let me look. Done\n\nThe answer is 4");
  });
});

describe("token estimates", () => {
  it("counts words, numbers, punctuation and dense scripts", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("hello world")).toBe(4);
    expect(estimateTokens("a, b.")).toBe(4);
    expect(estimateTokens("123456")).toBe(2);
    expect(estimateTokens("你好世界")).toBe(4);
    const prose = "The quick brown fox jumps over the lazy dog. ".repeat(20);
    // Real tokenizers give 10 tokens per sentence here.
    expect(estimateTokens(prose)).toBeGreaterThan(160);
    expect(estimateTokens(prose)).toBeLessThan(300);
  });

  it("a conversation costs its texts plus framing", () => {
    expect(estimateConversation({ system: "be brief", turns: [user("hi")] })).toBe(
      estimateTokens("be brief") + estimateTokens("hi") + 8,
    );
  });

  it("real counts win; an estimate only when the CLI reported none", () => {
    const real = { input_tokens: 100, output_tokens: 5, cached_tokens: 60, reasoning_tokens: 2 };
    expect(tokenCounts(real, 7, "answer")).toEqual({
      input: 100,
      output: 5,
      cached: 60,
      reasoning: 2,
      estimated: false,
    });
    const none = { input_tokens: 0, output_tokens: 0, cached_tokens: 0, reasoning_tokens: 0 };
    expect(tokenCounts(none, 7, "two words")).toEqual({
      input: 7,
      output: 3,
      cached: 0,
      reasoning: 0,
      estimated: true,
    });
  });
});

describe("failures", () => {
  it.each([
    ["rate_limit", "rate_limit", 20, undefined],
    ["queue_full", "rate_limit", 5, undefined],
    ["overloaded", "overloaded", 10, undefined],
    ["circuit_open", "overloaded", 5, undefined],
    ["usage_limit", "quota", undefined, false],
    ["auth", "permission", undefined, false],
    ["backend_unavailable", "unavailable", undefined, false],
    ["timeout", "timeout", undefined, undefined],
    ["invalid_model", "model_not_found", undefined, undefined],
    ["invalid_request", "invalid_request", undefined, undefined],
    ["session_not_found", "not_found", undefined, undefined],
    ["backend_crashed", "upstream", undefined, undefined],
    ["internal", "server", undefined, undefined],
    ["cancelled", "cancelled", undefined, undefined],
  ] as const)("a run's %s is a %s failure", (code, kind, retryAfter, retryable) => {
    const failure = failureOfInfo({ code, message: "m", hint: "h" });
    expect(failure).toMatchObject({ kind, message: "m (h)" });
    expect(failure.retryAfter).toBe(retryAfter);
    expect(failure.retryable).toBe(retryable);
  });

  it.each([
    ["Please retry in 7.2s.", 8],
    ["Rate limit reached. Please try again in 20ms.", 1],
    ["retry after 2 minutes", 120],
    ["too many requests", 20],
  ])("a rate limit's Retry-After is the provider's wait when it names one: %s → %i", (message, seconds) => {
    // The backend reads the wait from its provider's words; the surface only passes it on.
    const info = classifyProviderError(message, 429);
    expect(info.code).toBe("rate_limit");
    expect(failureOfInfo(info).retryAfter).toBe(seconds);
  });

  it("sorts thrown errors: ours, the engine's, validation, parsing, and bugs", () => {
    expect(failureOf(new CompatError("model_not_found", "no", { param: "model" }))).toEqual({
      failure: { kind: "model_not_found", message: "no", param: "model" },
      unexpected: false,
    });
    expect(failureOf(new ClinvkError("queue_full", "full")).failure).toMatchObject({ kind: "rate_limit" });
    const validation = Object.assign(new Error("bad"), {
      validation: [{ instancePath: "/messages/0/content", message: "must be string", params: {} }],
      validationContext: "body",
    });
    expect(failureOf(validation).failure).toMatchObject({ kind: "invalid_request", param: "messages[0].content" });
    const missing = Object.assign(new Error("bad"), {
      validation: [
        { instancePath: "", message: "must have required property 'model'", params: { missingProperty: "model" } },
      ],
    });
    expect(failureOf(missing).failure).toMatchObject({ param: "model" });
    expect(failureOf(Object.assign(new Error("x"), { code: "FST_ERR_CTP_BODY_TOO_LARGE" })).failure.kind).toBe(
      "too_large",
    );
    expect(failureOf({ statusCode: 429, error: { message: "slow down" } }).failure).toMatchObject({
      kind: "rate_limit",
      message: "slow down",
    });
    expect(failureOf(Object.assign(new SyntaxError("Unexpected end of JSON"), { statusCode: 400 })).failure).toEqual({
      kind: "invalid_request",
      message: "malformed JSON in the request body",
    });
    expect(failureOf(new TypeError("undefined is not a function"))).toEqual({
      failure: { kind: "server", message: "internal server error", code: "internal" },
      unexpected: true,
    });
    expect(paramOf("/input/2/content/0/text")).toBe("input[2].content[0].text");
  });
});
