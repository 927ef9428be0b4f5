// The timestamp text of run records and events. A step's start, end and events are
// stamped within the same millisecond (workerd's clock only moves across I/O), so the
// text is formatted once per millisecond.

let stampedAt = Number.NaN;
let stamp = "";

/** Now as RFC 3339 text with milliseconds (`Date.prototype.toISOString`). */
export function now(): string {
  const at = Date.now();
  if (at !== stampedAt) {
    stampedAt = at;
    stamp = new Date(at).toISOString();
  }
  return stamp;
}
