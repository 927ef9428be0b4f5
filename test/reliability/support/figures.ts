// Figures measured by the scenarios: printed, and collected into
// $KTSU_RELIABILITY_REPORT (a JSON-lines file) when that is set.
import { appendFileSync } from "node:fs";

export function report(scenario: string, figures: Record<string, string | number>): void {
  const line = Object.entries(figures)
    .map(([k, v]) => `${k}: ${typeof v === "number" ? Number(v.toPrecision(4)) : v}`)
    .join(", ");
  process.stdout.write(`[reliability] ${scenario}: ${line}\n`);
  const file = process.env.KTSU_RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ scenario, at: new Date().toISOString(), ...figures })}\n`);
}
