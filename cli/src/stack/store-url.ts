/** A Postgres connection string as the CLI may show it: host, port and database, never the user's password. */
export function describeStoreUrl(storeUrl: string): string {
  try {
    const url = new URL(storeUrl);
    return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
  } catch {
    return "(an unparseable connection string)";
  }
}

/** Refuses what is not a Postgres connection string, without echoing it (it may hold a password). */
export function checkStoreUrl(storeUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(storeUrl);
  } catch {
    return "--store-url is not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE";
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") return `--store-url must be a postgres:// URL, not ${url.protocol}//…`;
  if (!url.hostname) return "--store-url names no host";
  return null;
}

/** The Postgres a `--store-url` names could not be reached or migrated; the message names it without its password. */
export class StoreUrlError extends Error {}
