/** One statement as text with its bound values, for either dialect. */
export interface SqlStatement {
  text: string;
  params: unknown[];
}

/** What differs between the dialects in the text of the Store's plain statements. */
export interface SqlStyle {
  /** The n-th bound parameter (from 1): `?` in SQLite, `$n` in Postgres. */
  placeholder(n: number): string;
  /** Bound parameters one statement may carry (D1: 100; Postgres: 65535). */
  maxParameters: number;
}
