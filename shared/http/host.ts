// The Host header's name, for the Workers that refuse requests addressed to a name they do not
// answer to (DNS rebinding: a page whose name resolves to a local server sends its own name).

/**
 * A Host header as HTTP allows it: a DNS name, an IPv4 address or a bracketed IPv6 address,
 * with an optional port. Anything else (a `/`, a space, `@`) would be spliced into the URL
 * the Worker sees, so the routed path would no longer be the one the client asked for.
 */
export const HOST_HEADER = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)(?::\d{1,5})?$/i;

/** The host name of a well-formed Host header, lower-cased and without its port. */
export function hostName(header: string): string {
  const name = header.startsWith("[") ? header.slice(0, header.indexOf("]") + 1) : header.split(":")[0]!;
  return name.toLowerCase();
}
