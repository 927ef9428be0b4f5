// Secret values used by the suite, and scans for them: D1 rows, files under a state
// dir (Durable Object SQLite files, WAL included, read raw so even freed pages count),
// captured log lines and recorded API responses.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** Distinctive values: none can appear by accident. */
export const SECRETS = {
  providerKey: "sk-rel-provider-5f1c9e7a2b",
  adminToken: "adm-rel-token-8d2e4b6f01",
  invokeSecret: "inv-rel-bearer-3a7c9e1f55",
  rawSecret: "inv-rel-raw-6b8d0f2a44",
  sinkToken: "snk-rel-token-9c1e3a5b77",
  password: "pw-rel-param-2e4f6a8c99",
  vaultKey: "vlt-rel-key-7f3b1d9e02",
} as const;

export type SecretName = keyof typeof SECRETS;

export interface Hit {
  secret: SecretName;
  where: string;
}

export function findSecrets(text: string, where: string, secrets: Partial<typeof SECRETS> = SECRETS): Hit[] {
  const hits: Hit[] = [];
  for (const [name, value] of Object.entries(secrets)) if (value && text.includes(value)) hits.push({ secret: name as SecretName, where });
  return hits;
}

/** Every row of every table of a D1 database (tables listed from sqlite_master). */
export async function scanD1(db: D1Like, secrets: Partial<typeof SECRETS> = SECRETS): Promise<{ rows: number; tables: string[]; hits: Hit[] }> {
  const { results } = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>();
  const tables = results.map((r) => r.name).filter((name) => !name.startsWith("_cf_") && !name.startsWith("sqlite_"));
  const hits: Hit[] = [];
  let rows = 0;
  for (const table of tables) {
    const all = await db.prepare(`SELECT * FROM "${table}"`).all<Record<string, unknown>>();
    rows += all.results.length;
    for (const [i, row] of all.results.entries()) hits.push(...findSecrets(JSON.stringify(row), `D1 ${table} row ${i}`, secrets));
  }
  return { rows, tables, hits };
}

export interface D1Like {
  prepare(sql: string): { all<T = Record<string, unknown>>(): Promise<{ results: T[] }> };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

/**
 * Every file under `dir`, raw: each secret is looked for as UTF-8 (V8 serializes
 * Latin-1 strings byte for byte) and as UTF-16LE (two-byte strings).
 */
export async function scanFiles(
  dir: string,
  secrets: Partial<typeof SECRETS> = SECRETS,
  skip: (file: string) => boolean = () => false,
): Promise<{ files: number; bytes: number; hits: Hit[] }> {
  const needles = Object.entries(secrets).flatMap(([name, value]) =>
    value
      ? [
          { name: name as SecretName, bytes: Buffer.from(value, "utf8") },
          { name: name as SecretName, bytes: Buffer.from(value, "utf16le") },
        ]
      : [],
  );
  const hits: Hit[] = [];
  let files = 0;
  let bytes = 0;
  for await (const file of walk(dir)) {
    if (skip(file)) continue;
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (err) {
      // SQLite removes its -shm/-wal files when a database closes: one may vanish mid-scan.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    files += 1;
    bytes += data.length;
    for (const needle of needles) {
      if (data.includes(needle.bytes) && !hits.some((h) => h.secret === needle.name && h.where === file)) hits.push({ secret: needle.name, where: file });
    }
  }
  return { files, bytes, hits };
}

/** Captures what reaches the console (Miniflare prints workerd's log lines with console.log/console.error). */
export function captureConsole(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const original = methods.map((m) => console[m]);
  methods.forEach((m, i) => {
    console[m] = (...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message}\n${a.stack}` : safeJson(a))).join(" "));
      (original[i] as (...a: unknown[]) => void).apply(console, args);
    };
  });
  return {
    lines,
    restore: () => {
      for (const [i, m] of methods.entries()) console[m] = original[i]!;
    },
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
