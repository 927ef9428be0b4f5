/** A tool result with one text block: strings as they are, anything else as JSON. */
export function textResult(value: unknown) {
  return { content: [{ type: "text" as const, text: typeof value === "string" ? value : JSON.stringify(value) }] };
}

/** A tool-level error the model can read (`isError`), as opposed to a protocol error. */
export function errorResult(message: string) {
  return { isError: true, content: [{ type: "text" as const, text: message }] };
}
