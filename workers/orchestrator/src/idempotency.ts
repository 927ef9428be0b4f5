// Idempotency keys of queue-triggered runs (`Idempotency-Key` on POST /enqueue, a queue
// message's `idempotency_key`). A key counts within its key space: the workflow it starts and
// the caller's credential, when the workflow asks for one. The run id derives from the key
// space, so a retried request or a redelivered message always names the same run.
import { canonicalJson } from "../../../shared/expr/index.ts";

/** Where a key counts: another workflow or another credential is another key space. */
export interface KeySpace {
  /** The workflow's invoke name, as the caller addressed it. */
  workflow: string;
  /** The token the caller presented to the workflow's `invoke.auth`; absent for open workflows and the queue. */
  credential?: string | null;
  key: string;
}

/** A claimed key as stored: the run it names and the SHA-256 of the request body it came with. */
export interface KeyClaim {
  scope: string;
  runId: string;
  bodyHash: string;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * How long a claimed key is kept: as long as a queue message can wait for delivery (a queue keeps
 * messages at most 14 days), so a redelivered message is always checked against its key. After
 * that the cron deletes it (retention.ts); the run id still derives from the key, so the same key
 * never starts a second run while its run exists, but a reuse with another body is no longer refused.
 */
export const KEY_LIFETIME_DAYS = 14;

/**
 * The key space's name: a SHA-256 over the workflow, a SHA-256 of the credential and the key,
 * so what is stored reveals neither the key nor the credential.
 */
export async function keyScope(space: KeySpace): Promise<string> {
  const credential = space.credential ? await sha256Hex(space.credential) : "";
  return sha256Hex(JSON.stringify([space.workflow, credential, space.key]));
}

/** `run_` + 16 hex characters of the key space's name: the same key space always names the same run. */
export async function runIdForKey(space: KeySpace): Promise<string> {
  return `run_${(await keyScope(space)).slice(0, 16)}`;
}

/** The claim a request makes: its key space, the run id it derives and the SHA-256 of its params (key order does not count). */
export async function claimFor(space: KeySpace, params: Record<string, unknown>): Promise<KeyClaim> {
  const scope = await keyScope(space);
  return { scope, runId: `run_${scope.slice(0, 16)}`, bodyHash: await sha256Hex(canonicalJson(params)) };
}

/** The refusal of a key reused with another body (the 409 of POST /enqueue, a queue message's failure). */
export function keyReusedMessage(key: string): string {
  return `Idempotency-Key ${JSON.stringify(key)} was already used with a different request body`;
}
