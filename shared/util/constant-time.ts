// Comparing a secret a caller sent with the expected one without leaking, through
// the time taken, how much of it matched.

const encoder = new TextEncoder();

/** Cloudflare's Web Crypto adds `timingSafeEqual`; Node and browsers do not have it. */
type SubtleWithTimingSafeEqual = typeof crypto.subtle & { timingSafeEqual?: (a: ArrayBuffer, b: ArrayBuffer) => boolean };

/** Compares equal-length buffers in time that does not depend on where they differ. */
function equalBytes(a: ArrayBuffer, b: ArrayBuffer): boolean {
  const subtle = crypto.subtle as SubtleWithTimingSafeEqual;
  if (subtle.timingSafeEqual) return subtle.timingSafeEqual(a, b);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < x.length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Whether two secrets are equal, in constant time. Both are hashed first
 * (SHA-256), so the comparison runs over equal lengths and the time does not
 * reveal the expected secret's length either.
 */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([crypto.subtle.digest("SHA-256", encoder.encode(given)), crypto.subtle.digest("SHA-256", encoder.encode(expected))]);
  return equalBytes(a, b);
}
