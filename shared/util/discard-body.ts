// Dropping the body of another of our Workers' answers over a service binding.

/**
 * Reads and drops the body of an answer from one of our own Workers (a few bytes of JSON, or
 * none). In workerd, reading a small body that has fully arrived costs less than cancelling its
 * stream, which is the most common thing the hot paths did with these answers. Not for bodies
 * whose size is not ours to bound (a webhook's or a provider's answer). A body that fails to
 * arrive is dropped all the same: the status has been received, and it is what callers read.
 */
export async function discardSmallBody(res: Response): Promise<void> {
  await res.arrayBuffer().catch(() => undefined);
}
