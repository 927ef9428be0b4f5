import { describe, expect, it } from "vitest";
import { backoffDelayMs, isRetryableDurableObjectError, retryDurableObjectCall } from "../../shared/util/durable-object-retries.ts";

/** An error shaped like the ones the Workers runtime throws from a Durable Object call. */
function doError(flags: { retryable?: boolean; overloaded?: boolean }): Error {
  return Object.assign(new Error("Durable Object call failed"), flags);
}

/** A call that throws the given errors in turn, then returns "ok"; counts its calls. */
function flaky(errors: unknown[]): { call: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    call: async () => {
      const err = errors[calls];
      calls += 1;
      if (err !== undefined) throw err;
      return "ok";
    },
    calls: () => calls,
  };
}

/** Records the waits instead of waiting. */
function recordedSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { sleep: async (ms) => void waits.push(ms), waits };
}

describe("retryDurableObjectCall", () => {
  it("tries again after a retryable error and returns the later result", async () => {
    const target = flaky([doError({ retryable: true }), doError({ retryable: true })]);
    const { sleep, waits } = recordedSleep();
    await expect(retryDurableObjectCall(target.call, { sleep, random: () => 0.5 })).resolves.toBe("ok");
    expect(target.calls()).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it("does not retry an overloaded object, even when the error is retryable", async () => {
    const overloaded = doError({ retryable: true, overloaded: true });
    const target = flaky([overloaded]);
    const { sleep, waits } = recordedSleep();
    await expect(retryDurableObjectCall(target.call, { sleep })).rejects.toBe(overloaded);
    expect(target.calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it("does not retry other errors", async () => {
    for (const err of [new Error("application error"), doError({ retryable: false }), "a string", null, { retryable: "yes" }]) {
      const target = flaky([err]);
      const { sleep } = recordedSleep();
      await expect(retryDurableObjectCall(target.call, { sleep })).rejects.toBe(err);
      expect(target.calls()).toBe(1);
    }
  });

  it("gives up after maxAttempts tries with the last error", async () => {
    const errors = [1, 2, 3, 4, 5, 6].map(() => doError({ retryable: true }));
    const target = flaky(errors);
    const { sleep, waits } = recordedSleep();
    await expect(retryDurableObjectCall(target.call, { sleep, maxAttempts: 4 })).rejects.toBe(errors[3]);
    expect(target.calls()).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it("tries once when maxAttempts is 1", async () => {
    const target = flaky([doError({ retryable: true })]);
    const { sleep } = recordedSleep();
    await expect(retryDurableObjectCall(target.call, { sleep, maxAttempts: 1 })).rejects.toThrow("Durable Object call failed");
    expect(target.calls()).toBe(1);
  });

  it("waits a jittered time under a bound that doubles per retry and is capped", async () => {
    const errors = [1, 2, 3, 4, 5].map(() => doError({ retryable: true }));
    const options = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000 };
    // The highest draw gives each bound (just under it); the lowest gives no wait at all.
    const high = recordedSleep();
    await retryDurableObjectCall(flaky(errors).call, { ...options, sleep: high.sleep, random: () => 0.999999 });
    expect(high.waits).toEqual([199, 399, 799, 999, 999]);
    const low = recordedSleep();
    await retryDurableObjectCall(flaky(errors).call, { ...options, sleep: low.sleep, random: () => 0 });
    expect(low.waits).toEqual([0, 0, 0, 0, 0]);
    // The waits differ with the draw: callers that failed together spread out.
    const half = recordedSleep();
    await retryDurableObjectCall(flaky(errors).call, { ...options, sleep: half.sleep, random: () => 0.5 });
    expect(half.waits).toEqual([100, 200, 400, 500, 500]);
  });
});

describe("backoffDelayMs", () => {
  it("stays within [0, min(base * 2^retry, max)) for any draw", () => {
    for (let retry = 1; retry <= 12; retry++) {
      const bound = Math.min(50 * 2 ** retry, 3000);
      for (const draw of [0, 0.1, 0.5, 0.9, 0.999999]) {
        const delay = backoffDelayMs(retry, 50, 3000, () => draw);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(bound);
      }
    }
  });
});

describe("isRetryableDurableObjectError", () => {
  it("is true only for retryable, not overloaded errors", () => {
    expect(isRetryableDurableObjectError(doError({ retryable: true }))).toBe(true);
    expect(isRetryableDurableObjectError(doError({ retryable: true, overloaded: false }))).toBe(true);
    expect(isRetryableDurableObjectError(doError({ retryable: true, overloaded: true }))).toBe(false);
    expect(isRetryableDurableObjectError(doError({}))).toBe(false);
    expect(isRetryableDurableObjectError(undefined)).toBe(false);
  });
});
