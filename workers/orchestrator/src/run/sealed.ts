// Encryption at rest for the secret parts of a run's state (secret params and
// everything derived from them), with a key the run's storage never holds.
// Format: "v1.<iv base64>.<ciphertext base64>", AES-256-GCM.

import type { RunMeta, SealedFields } from "./model.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** WebCrypto's key type, named through `crypto` so the module type-checks under Node's types as well as workerd's. */
type SecretKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const keys = new Map<string, Promise<SecretKey>>();

function b64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function unb64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function importKey(secret: string): Promise<SecretKey> {
  let key = keys.get(secret);
  if (!key) {
    const raw = unb64(secret);
    if (raw.length !== 32) throw new Error("KTSU_STATE_KEY must be 32 bytes, base64-encoded");
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(secret, key);
  }
  return key;
}

export async function seal(value: unknown, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await importKey(secret), encoder.encode(JSON.stringify(value)));
  return `v1.${b64(iv)}.${b64(new Uint8Array(data))}`;
}

export async function unseal<T>(sealed: string, secret: string): Promise<T> {
  const [version, iv, data] = sealed.split(".");
  if (version !== "v1" || !iv || !data) throw new Error("unknown sealed state format");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(iv) }, await importKey(secret), unb64(data));
  return JSON.parse(decoder.decode(plain)) as T;
}

/** Encrypts the secret-bearing fields of a new run (in `meta.sealed`) when it has secret params. */
export async function sealRunSecrets(meta: RunMeta, key: string | undefined): Promise<void> {
  if (meta.secret_params.length === 0) return;
  if (!key) {
    console.warn(`run ${meta.run_id}: KTSU_STATE_KEY is not set, so its secret params are stored unencrypted in the run's state`);
    return;
  }
  const fields: SealedFields = {
    params: meta.params,
    payload: meta.payload,
    secret_params: meta.secret_params,
    ...(meta.param_strings ? { param_strings: meta.param_strings } : {}),
  };
  meta.sealed = await seal(fields, key);
}
