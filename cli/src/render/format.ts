// Small text formatters shared by the commands: tables, durations, times, costs.

/**
 * A table like Go's tabwriter with padding 2 (what the original `ktsu runs`
 * printed): every column as wide as its widest cell plus two spaces, the last
 * column unpadded, no trailing spaces.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((row) => [...(row[col] ?? "")].length)));
  const lines = all.map((row) =>
    headers
      .map((_, col) => {
        const cell = row[col] ?? "";
        return col === headers.length - 1 ? cell : cell + " ".repeat(widths[col]! - [...cell].length + 2);
      })
      .join("")
      .trimEnd(),
  );
  return `${lines.join("\n")}\n`;
}

/** Go's `time.Duration.String()` of a duration rounded to the second: "0s", "42s", "1m5s", "2h0m3s". */
export function goSeconds(ms: number): string {
  let seconds = Math.round(Math.max(0, ms) / 1000);
  if (seconds === 0) return "0s";
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** A step or run duration: "0ms", "340ms", "1.25s", "2m05s". */
export function shortDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  const value = Math.max(0, Math.round(ms));
  if (value < 1000) return `${value}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(2)}s`;
  const minutes = Math.floor(value / 60_000);
  const seconds = Math.floor((value % 60_000) / 1000);
  return `${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** USD with six decimals: "$0.000000", "$0.012345". */
export function usd(cost: number | undefined): string {
  if (cost === undefined || !Number.isFinite(cost)) return "-";
  return `$${cost.toFixed(6)}`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as the original printed it: "2006-01-02 15:04:05". Unparseable input is returned as is. */
export function localTime(iso: string | undefined): string {
  if (!iso) return "-";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** Milliseconds between two RFC 3339 times, or undefined. */
export function between(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? ms : undefined;
}

/** One line, at most `max` characters (an ellipsis marks the cut). */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  const chars = [...oneLine];
  return chars.length <= max ? oneLine : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** Compact JSON of a value, truncated. */
export function compactJson(value: unknown, max: number): string {
  if (value === undefined) return "-";
  return truncate(JSON.stringify(value) ?? "null", max);
}

/** A shell-safe rendering of one argument (single-quoted when needed). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
