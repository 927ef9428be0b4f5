// The mirror's multi-row statements: D1's rows as one JSON parameter per statement, split before
// a statement's JSON passes its size, and Postgres's (and the fallback's) bound-parameter rows.
import { describe, expect, it } from "vitest";
import { rowWriter } from "../../workers/orchestrator/src/store/row-writer.ts";
import * as schema from "../../workers/orchestrator/src/store/schema.ts";

const KEYS = ["runId", "seq", "type", "stepId", "data", "createdAt"] as const;
const event = (seq: number, data: unknown = { seq }) => ({
  runId: "run_1",
  seq,
  type: "step_started",
  stepId: null,
  data,
  createdAt: "2026-01-02T03:04:05.006Z",
});

describe("rowWriter", () => {
  it("binds SQLite's rows as one JSON array per statement, split before it passes jsonRowsMaxChars", () => {
    const write = rowWriter(schema.events, KEYS, { doNothing: true }, { placeholder: () => "?", maxParameters: 6, jsonRowsMaxChars: 300 });
    const statements = write([1, 2, 3, 4, 5, 6].map((seq) => event(seq, { text: "x".repeat(60) })));
    expect(statements.length).toBeGreaterThan(1);
    const rows = statements.flatMap((statement) => {
      expect(statement.text).toMatch(/^insert into "events" \(.*\) select value ->> 0, .* from json_each\(\?\) where true on conflict do nothing$/);
      expect(statement.params).toHaveLength(1);
      expect((statement.params[0] as string).length).toBeLessThanOrEqual(300);
      return JSON.parse(statement.params[0] as string) as unknown[][];
    });
    // Each row: its values in column order, JSON columns as their text, null kept.
    expect(rows.map((row) => row[1])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(rows[0]).toEqual(["run_1", 1, "step_started", null, JSON.stringify({ text: "x".repeat(60) }), "2026-01-02T03:04:05.006Z"]);
  });

  it("binds rows that fit one statement's parameters as they are, on SQLite too", () => {
    const write = rowWriter(schema.events, KEYS, { doNothing: true }, { placeholder: () => "?", maxParameters: 12, jsonRowsMaxChars: 10_000 });
    const [statement, ...rest] = write([event(1), event(2)]);
    expect(rest).toEqual([]);
    expect(statement!.text).toContain("values (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) on conflict do nothing");
    expect(statement!.params).toHaveLength(12);
    expect(write([event(1), event(2), event(3)])[0]!.text).toContain("from json_each(?)");
  });

  it("binds a row longer than jsonRowsMaxChars as it is, in a statement of its own; the next ones go together", () => {
    const write = rowWriter(schema.events, KEYS, { doNothing: true }, { placeholder: () => "?", maxParameters: 6, jsonRowsMaxChars: 200 });
    const big = event(1, { text: "y".repeat(500) });
    const [alone, together, ...rest] = write([big, event(2), event(3)]);
    expect(rest).toEqual([]);
    expect(alone!.text).toContain("values (?, ?, ?, ?, ?, ?) on conflict do nothing");
    expect(alone!.params).toEqual(["run_1", 1, "step_started", null, JSON.stringify(big.data), "2026-01-02T03:04:05.006Z"]);
    expect((JSON.parse(together!.params[0] as string) as unknown[][]).map((row) => row[1])).toEqual([2, 3]);
  });

  it("binds each value to a parameter where the dialect allows enough of them (Postgres)", () => {
    const write = rowWriter(schema.events, KEYS, { doNothing: true }, { placeholder: (n) => `$${n}`, maxParameters: 12 });
    const statements = write([1, 2, 3].map((seq) => event(seq)));
    expect(statements.map((statement) => statement.params.length)).toEqual([12, 6]);
    expect(statements[1]!.text).toContain("values ($1, $2, $3, $4, $5, $6) on conflict do nothing");
  });
});
