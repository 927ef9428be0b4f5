import { DurableObject } from "cloudflare:workers";

/**
 * One key-value namespace (an agent server's `persistent_id`). A Durable Object
 * gives each namespace a single writer, so `increment` is atomic.
 */
export class KvNamespaceDO extends DurableObject {
  async getValue(key: string): Promise<unknown> {
    return (await this.ctx.storage.get(key)) ?? null;
  }

  async setValue(key: string, value: unknown): Promise<void> {
    await this.ctx.storage.put(key, value);
  }

  async deleteValue(key: string): Promise<boolean> {
    return this.ctx.storage.delete(key);
  }

  async listKeys(prefix: string, limit: number): Promise<string[]> {
    const entries = await this.ctx.storage.list({ prefix, limit });
    return [...entries.keys()];
  }

  /** A non-numeric value is an answer, not an exception (thrown RPC errors are logged as uncaught). */
  async increment(key: string, by: number): Promise<{ value: number } | { error: string }> {
    const current = await this.ctx.storage.get(key);
    if (current !== undefined && typeof current !== "number") {
      return { error: `value at "${key}" is not a number` };
    }
    const next = (current ?? 0) + by;
    await this.ctx.storage.put(key, next);
    return { value: next };
  }
}
