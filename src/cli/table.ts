/**
 * A plain text table: columns padded to their widest cell. `paint` may colour a body cell once it is
 * padded, so that escape codes never count as width.
 */
export function table(
  header: string[],
  rows: string[][],
  paint: (cell: string, column: number) => string = (cell) => cell,
): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[], painted: boolean) =>
    `${cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0);
        return painted ? paint(padded, i) : padded;
      })
      .join("  ")
      .trimEnd()}\n`;
  return line(header, false) + rows.map((row) => line(row, true)).join("");
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** "1 task", "2 tasks". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
