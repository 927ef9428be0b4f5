// The text of a thrown value, for error messages built from it.

/** `err.message` for an Error, else the value as a string (code may throw anything). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
