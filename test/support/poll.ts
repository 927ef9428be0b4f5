// Waiting in tests for a condition the system signals only by its state: poll it. The
// timeout bounds a condition that never comes; it is not a speed limit.
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
