/** Human ages, as the Go clinvoker printed them: just now, 5m ago, 3h ago, 2d ago, else the date. */
export function relativeAge(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "unknown";
  const seconds = Math.max(0, (now - then) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  if (seconds < 7 * 86_400) return `${Math.floor(seconds / 86_400)}d ago`;
  return new Date(then).toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

/** The cutoff of a retention of `days`: sessions last used before it are due for cleaning. */
export function retentionCutoff(days: number, now = Date.now()): Date {
  return new Date(now - days * DAY_MS);
}

/** `7d`, `12h`, `30m` or a bare number of days, as a duration in ms. */
export function parseAge(text: string): number | undefined {
  const match = /^(\d+)\s*([dhm]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] || "d").toLowerCase();
  return value * (unit === "d" ? DAY_MS : unit === "h" ? 3_600_000 : 60_000);
}
