// Small hooks the views share.
import { useEffect, useRef, useState } from "preact/hooks";
import { isLoginNeeded, onAuthChange } from "./auth.ts";

/** Bumps whenever the token changes, so views fetch again after a login. */
export function useAuthEpoch(): number {
  const [epoch, setEpoch] = useState(0);
  useEffect(() => onAuthChange(() => setEpoch((e) => e + 1)), []);
  return epoch;
}

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  reload: () => void;
}

/**
 * Runs `load` now, again every `everyMs` (0 = once), and whenever `deps` or the
 * token change; paused while the token prompt is open.
 */
export function usePolled<T>(load: () => Promise<T>, everyMs: number, deps: readonly unknown[]): Loaded<T> {
  const epoch = useAuthEpoch();
  const key = JSON.stringify(deps);
  // Answers are kept with the deps they were loaded for: other filters never show the previous answer.
  const [loaded, setLoaded] = useState<{ key: string; data?: T; error?: Error }>({ key });
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    const run = () => {
      if (isLoginNeeded()) return;
      latest.current().then(
        (data) => live && setLoaded({ key, data }),
        (error: Error) => live && setLoaded((prev) => ({ ...(prev.key === key ? prev : { key }), error })),
      );
    };
    run();
    const timer = everyMs > 0 ? setInterval(run, everyMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [key, epoch, tick, everyMs]);
  const current = loaded.key === key ? loaded : { key };
  return { data: current.data, error: current.error, reload: () => setTick((t) => t + 1) };
}

/** The current time, ticking every `ms` while `active` (live durations). */
export function useNow(active: boolean, ms = 500): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return now;
}
