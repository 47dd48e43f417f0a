import { describe, expect, it } from "vitest";
import { AnswerCutter, cutAnswer, stopSequences, tokenLimit } from "../../src/server/compat/answer-cut.js";
import { CompatError } from "../../src/server/compat/errors.js";
import { estimateTokens } from "../../src/server/compat/tokens.js";

/** Streams text through a cutter in the given pieces; returns what was sent and the cut. */
function streamed(pieces: string[], limits: ConstructorParameters<typeof AnswerCutter>[0], outputTokens?: number) {
  const cutter = new AnswerCutter(limits);
  let sent = "";
  for (const piece of pieces) sent += cutter.push(piece);
  sent += cutter.end(outputTokens);
  return { text: sent, cut: cutter.cut };
}

/** Every way of splitting text into two deltas, and one character at a time. */
function splits(text: string): string[][] {
  const all = [[text], [...text]];
  for (let at = 1; at < text.length; at++) all.push([text.slice(0, at), text.slice(at)]);
  return all;
}

describe("stop sequences", () => {
  it("cut at the first one, the sequence not included", () => {
    expect(cutAnswer("one, two. END three END", { stop: ["END"] })).toEqual({
      text: "one, two. ",
      cut: { reason: "stop_sequence", sequence: "END" },
    });
    // The earliest of several wins, whichever is listed first.
    expect(cutAnswer("alpha beta gamma", { stop: ["gamma", "beta"] }).cut).toEqual({
      reason: "stop_sequence",
      sequence: "beta",
    });
    expect(cutAnswer("nothing to cut", { stop: ["END"] })).toEqual({ text: "nothing to cut" });
  });

  it("streamed, however the deltas split the text, nothing after the cut is sent", () => {
    const text = "Count: 1, 2, 3\n\nUser: more";
    for (const pieces of splits(text)) {
      expect(streamed(pieces, { stop: ["\n\nUser:"] })).toEqual({
        text: "Count: 1, 2, 3",
        cut: { reason: "stop_sequence", sequence: "\n\nUser:" },
      });
    }
  });

  it("a suffix that only looked like a stop sequence's start is sent in the end", () => {
    for (const pieces of splits("a b ST")) expect(streamed(pieces, { stop: ["STOP"] })).toEqual({ text: "a b ST" });
  });
});

describe("token limits", () => {
  it("cut where the estimate reaches the limit, and count no more than the limit", () => {
    const text = "The quick brown fox jumps over the lazy dog again and again.";
    for (const max of [1, 3, 5, 8]) {
      const { text: cut, cut: why } = cutAnswer(text, { maxTokens: max });
      expect(why).toEqual({ reason: "max_tokens" });
      expect(estimateTokens(cut)).toBeLessThanOrEqual(max);
      expect(text.startsWith(cut)).toBe(true);
      expect(cut.length).toBeGreaterThan(0);
    }
    // "quick" is two tokens by the estimate.
    expect(cutAnswer("The quick brown fox", { maxTokens: 3 }).text).toBe("The quick");
    expect(cutAnswer("short", { maxTokens: 5 })).toEqual({ text: "short" });
  });

  it("dense scripts count a token a character", () => {
    expect(cutAnswer("你好世界和平", { maxTokens: 4 }).text).toBe("你好世界");
    for (const pieces of splits("你好世界和平")) expect(streamed(pieces, { maxTokens: 4 }).text).toBe("你好世界");
  });

  it("a long word is cut within itself", () => {
    const { text } = cutAnswer("internationalization", { maxTokens: 2 });
    expect(text).toBe("internat");
  });

  it("streamed, the same cut however the deltas split the text", () => {
    const text = "Hello there, general Kenobi, 12345 times.";
    const whole = cutAnswer(text, { maxTokens: 6 });
    expect(whole.cut).toEqual({ reason: "max_tokens" });
    for (const pieces of splits(text)) expect(streamed(pieces, { maxTokens: 6 })).toEqual(whole);
  });

  it("a run whose real output count fits the limit is not cut (the estimate was high)", () => {
    const text = "Hello there, general Kenobi, 12345 times.";
    expect(streamed(["Hello there, ", "general Kenobi, 12345 times."], { maxTokens: 6 }, 6)).toEqual({ text });
    // ...but a stop sequence still applies.
    expect(streamed([text], { maxTokens: 6, stop: ["Kenobi"] }, 6)).toEqual({
      text: "Hello there, general ",
      cut: { reason: "stop_sequence", sequence: "Kenobi" },
    });
    expect(streamed([text], { maxTokens: 6 }, 40).cut).toEqual({ reason: "max_tokens" });
  });

  it("with a limit, the text before a stop sequence keeps its whitespace, streamed too", () => {
    for (const pieces of splits("one two END three")) {
      expect(streamed(pieces, { maxTokens: 50, stop: ["END"] }).text).toBe("one two ");
    }
  });

  it("a stop sequence before the limit wins, one after it does not", () => {
    expect(cutAnswer("one two three four five six", { maxTokens: 3, stop: ["two"] }).cut).toEqual({
      reason: "stop_sequence",
      sequence: "two",
    });
    expect(cutAnswer("one two three four five six", { maxTokens: 4, stop: ["five"] })).toEqual({
      text: "one two three",
      cut: { reason: "max_tokens" },
    });
  });

  it("no limits: everything passes, as it comes", () => {
    const cutter = new AnswerCutter({});
    expect(cutter.active).toBe(false);
    expect(cutter.push("word")).toBe("word");
    expect(cutter.end()).toBe("");
  });
});

describe("a long answer of many deltas", () => {
  it("is cut in time that grows with its length, not its square", () => {
    const text = "lorem ipsum dolor sit amet, 12345. ".repeat(6000); // 210k characters
    const pieces = text.match(/.{1,7}/gs) ?? [];
    const started = performance.now();
    const result = streamed(pieces, { stop: ["never there", "\n\nUser:"], maxTokens: 1_000_000 });
    const elapsed = performance.now() - started;
    expect(result).toEqual({ text });
    // Counted again from the start for each of its 30k deltas, this took minutes; with the whole answer kept, seconds.
    expect(elapsed).toBeLessThan(3000);
  });
});

describe("long answers, streamed in small deltas, cut as if whole", () => {
  const long = `${"word and 123 more, ".repeat(900)}THE END ${"after ".repeat(900)}`;
  const deltas = long.match(/.{1,5}/gs) ?? [];

  it("a stop sequence far in", () => {
    const whole = cutAnswer(long, { stop: ["THE END"], maxTokens: 100_000 });
    expect(whole.text).toBe("word and 123 more, ".repeat(900));
    expect(streamed(deltas, { stop: ["THE END"], maxTokens: 100_000 })).toEqual(whole);
  });

  it("a token limit far in, and its undoing by the real count", () => {
    const whole = cutAnswer(long, { maxTokens: 3000 });
    expect(whole.cut).toEqual({ reason: "max_tokens" });
    expect(estimateTokens(whole.text)).toBeLessThanOrEqual(3000);
    expect(whole.text.length).toBeGreaterThan(9000);
    expect(streamed(deltas, { maxTokens: 3000 })).toEqual(whole);
    expect(streamed(deltas, { maxTokens: 3000 }, 3000)).toEqual({ text: long });
  });
});

describe("request values", () => {
  it("stop sequences: a string or a list, bounded, none empty", () => {
    expect(stopSequences("x", "stop", 4)).toEqual(["x"]);
    expect(stopSequences(["a", "b"], "stop", 4)).toEqual(["a", "b"]);
    expect(stopSequences([], "stop", 4)).toBeUndefined();
    expect(stopSequences(null, "stop", 4)).toBeUndefined();
    expect(() => stopSequences(["a", "b", "c", "d", "e"], "stop", 4)).toThrow(/at most 4 stop sequences/);
    expect(() => stopSequences([""], "stop", 4)).toThrow(CompatError);
    expect(() => stopSequences(["x".repeat(1001)], "stop", 4)).toThrow(/at most 1000 characters/);
    expect(() => stopSequences([3], "stop", 4)).toThrow(/a string or a list of strings/);
  });

  it("token limits: positive integers", () => {
    expect(tokenLimit(10, "max_tokens")).toBe(10);
    expect(tokenLimit(undefined, "max_tokens")).toBeUndefined();
    expect(() => tokenLimit(0, "max_tokens")).toThrow(/positive integer/);
    expect(() => tokenLimit(-3, "max_output_tokens")).toThrow(/max_output_tokens is a positive integer/);
  });
});
