/**
 * Splits a byte stream into lines with a bound on line length, so that a CLI printing one endless
 * line costs a fixed amount of memory. An over-long line is reported once and then skipped.
 */
import { StringDecoder } from "node:string_decoder";

export type SplitItem = { kind: "line"; line: string } | { kind: "overflow"; bytes: number };

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private buffer = "";
  private bufferBytes = 0;
  private discarding = false;
  private discarded = 0;

  constructor(private readonly maxLineBytes: number) {}

  push(chunk: Buffer): SplitItem[] {
    const out: SplitItem[] = [];
    let text = this.decoder.write(chunk);
    while (text.length > 0) {
      const newline = text.indexOf("\n");
      const piece = newline === -1 ? text : text.slice(0, newline);
      text = newline === -1 ? "" : text.slice(newline + 1);
      if (this.discarding) {
        this.discarded += Buffer.byteLength(piece);
      } else {
        this.buffer += piece;
        this.bufferBytes += Buffer.byteLength(piece);
        if (this.bufferBytes > this.maxLineBytes) {
          this.discarding = true;
          this.discarded = this.bufferBytes;
          this.buffer = "";
          this.bufferBytes = 0;
        }
      }
      if (newline !== -1) out.push(...this.endLine());
    }
    return out;
  }

  /** Call at end of stream: returns the last line if it had no newline. */
  end(): SplitItem[] {
    const rest = this.decoder.end();
    if (rest) this.buffer += rest;
    if (this.discarding || this.buffer.length > 0) return this.endLine();
    return [];
  }

  private endLine(): SplitItem[] {
    if (this.discarding) {
      const bytes = this.discarded;
      this.discarding = false;
      this.discarded = 0;
      return [{ kind: "overflow", bytes }];
    }
    const line = this.buffer.endsWith("\r") ? this.buffer.slice(0, -1) : this.buffer;
    this.buffer = "";
    this.bufferBytes = 0;
    return [{ kind: "line", line }];
  }
}
