/**
 * A small terminal picker: arrow keys (or j/k) move, a number jumps, Enter picks, q or Esc cancels.
 * Used by `clinvk resume -i`; needs a TTY.
 */
import { emitKeypressEvents } from "node:readline";

export interface PickerItem {
  label: string;
}

export function pick(title: string, items: readonly PickerItem[]): Promise<number | undefined> {
  const input = process.stdin;
  const output = process.stderr;
  return new Promise((resolve) => {
    let index = 0;
    let typed = "";
    let drawn = 0;
    const draw = () => {
      if (drawn > 0) output.write(`\x1b[${drawn}A\x1b[0J`);
      const lines = [
        `${title}  (↑/↓ or number, Enter to pick, q to cancel)`,
        ...items.map((item, i) => `${i === index ? "❯" : " "} ${String(i + 1).padStart(2)}. ${item.label}`),
      ];
      output.write(`${lines.join("\n")}\n`);
      drawn = lines.length;
    };
    const finish = (value: number | undefined) => {
      input.off("keypress", onKey);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      resolve(value);
    };
    const onKey = (text: string | undefined, key: { name?: string; ctrl?: boolean } = {}) => {
      if ((key.ctrl && key.name === "c") || key.name === "escape" || text === "q") return finish(undefined);
      if (key.name === "return" || key.name === "enter") return finish(index);
      if (key.name === "up" || text === "k") index = (index - 1 + items.length) % items.length;
      else if (key.name === "down" || text === "j") index = (index + 1) % items.length;
      else if (text && /^\d$/.test(text)) {
        typed = `${typed}${text}`.slice(-3);
        const number = Number(typed);
        if (number >= 1 && number <= items.length) index = number - 1;
        else typed = text;
      }
      draw();
    };
    emitKeypressEvents(input);
    if (input.isTTY) input.setRawMode(true);
    input.on("keypress", onKey);
    input.resume();
    draw();
  });
}
