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
  /**
   * Set (D1): rows too many for one statement's parameters go in one statement as a JSON array of
   * rows bound to one parameter and read back with SQLite's `json_each`, at most this many
   * characters of JSON per statement. D1's 100 parameters per statement would otherwise split a
   * 100-step run into 20 statements.
   */
  jsonRowsMaxChars?: number;
}
