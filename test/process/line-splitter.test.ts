import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/process/line-splitter.js";

describe("LineSplitter", () => {
  it("splits lines across chunks, drops \\r, keeps a last line without newline", () => {
    const splitter = new LineSplitter(1024);
    expect(splitter.push(Buffer.from("a\r\nb"))).toEqual([{ kind: "line", line: "a" }]);
    expect(splitter.push(Buffer.from("c\n\nd"))).toEqual([
      { kind: "line", line: "bc" },
      { kind: "line", line: "" },
    ]);
    expect(splitter.end()).toEqual([{ kind: "line", line: "d" }]);
  });

  it("keeps multi-byte characters split between chunks intact", () => {
    const splitter = new LineSplitter(1024);
    const bytes = Buffer.from("héllo\n");
    expect(splitter.push(bytes.subarray(0, 2))).toEqual([]);
    expect(splitter.push(bytes.subarray(2))).toEqual([{ kind: "line", line: "héllo" }]);
  });

  it("reports an over-long line once, with its size, and goes on with the next", () => {
    const splitter = new LineSplitter(10);
    const items = [
      ...splitter.push(Buffer.from("x".repeat(8))),
      ...splitter.push(Buffer.from("x".repeat(8))),
      ...splitter.push(Buffer.from("x".repeat(8))),
      ...splitter.push(Buffer.from("\nok\n")),
    ];
    expect(items).toEqual([
      { kind: "overflow", bytes: 24 },
      { kind: "line", line: "ok" },
    ]);
  });
});
