import { describe, expect, it } from "vitest";
import { classifyProviderError, stderrSummary, usageResetSeconds } from "../../src/backends/classify.js";

describe("classifyProviderError", () => {
  it.each([
    ["anything", 401, "auth"],
    ["anything", 403, "auth"],
    ["anything", 429, "rate_limit"],
    ["anything", 529, "overloaded"],
    ["anything", 404, "invalid_model"],
    ["anything", 500, "api_error"],
    ["Invalid API key · Fix external API key", undefined, "auth"],
    ["Not logged in · Please run /login", undefined, "auth"],
    ["Rate limit reached for requests", undefined, "rate_limit"],
    ["You exceeded your current quota, please check your plan", undefined, "usage_limit"],
    ["Claude AI usage limit reached|1735000000", undefined, "usage_limit"],
    ["Overloaded", undefined, "overloaded"],
    ["We’re currently experiencing high demand, which may cause temporary errors.", undefined, "overloaded"],
    ["The model `gpt-9` does not exist or you do not have access to it.", undefined, "invalid_model"],
    ["Request timed out", undefined, "timeout"],
    ["something odd happened", undefined, "api_error"],
  ] as const)("%s (HTTP %s) → %s", (message, status, code) => {
    expect(classifyProviderError(message, status).code).toBe(code);
  });

  it("keeps the message and adds a hint", () => {
    const info = classifyProviderError("Invalid API key", 401);
    expect(info.message).toBe("Invalid API key");
    expect(info.hint).toMatch(/credentials/);
  });
});

describe("stderrSummary", () => {
  it("keeps the last meaningful lines, without stack frames or noise", () => {
    const stderr = "Warning: noise\nError: first\n    at foo (x.js:1)\nError: second\n";
    expect(stderrSummary(stderr, [/^Warning/])).toBe("Error: first | Error: second");
  });
});

describe("quota beats status", () => {
  it("a 429 that says the quota is used up is usage_limit", () => {
    expect(classifyProviderError("You exceeded your current quota", 429).code).toBe("usage_limit");
  });
});

describe("a quota the provider says to retry soon is a rate limit", () => {
  it("gemini's 429 wording", () => {
    const message =
      "You exceeded your current quota, please check your plan and billing details. Please retry in 1s.\nSuggested retry after 1s.";
    expect(classifyProviderError(message, 429).code).toBe("rate_limit");
    expect(classifyProviderError("You have exhausted your daily quota", 429).code).toBe("usage_limit");
  });
});

describe("a used-up quota says when it resets", () => {
  it("codex: try again in days, hours and minutes", () => {
    const message =
      "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 2 days 17 hours 14 minutes.";
    const info = classifyProviderError(message, 429);
    expect(info).toMatchObject({ code: "usage_limit", retry_after_s: 2 * 86_400 + 17 * 3600 + 14 * 60 });
    expect(usageResetSeconds("You've hit your usage limit. Try again in 40 seconds.")).toBe(40);
  });

  it("claude: the reset as Unix seconds after the bar", () => {
    const now = Date.UTC(2026, 11, 2, 12, 0, 0);
    expect(usageResetSeconds(`Claude AI usage limit reached|${now / 1000 + 3600}`, now)).toBe(3600);
    // A reset that has passed is one second away, never negative.
    expect(usageResetSeconds(`Claude AI usage limit reached|${now / 1000 - 60}`, now)).toBe(1);
  });

  it("says nothing where the message gives no time", () => {
    expect(usageResetSeconds("You exceeded your current quota")).toBeUndefined();
    expect(classifyProviderError("You exceeded your current quota", 429).retry_after_s).toBeUndefined();
  });
});
