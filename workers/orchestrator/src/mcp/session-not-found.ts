/** The answer to a request naming a session that does not exist (any more): the client should initialize again. */
export function sessionNotFound(): Response {
  return Response.json({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }, { status: 404 });
}
