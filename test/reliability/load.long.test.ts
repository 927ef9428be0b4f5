// Scenario 4, long variant (KTSU_RELIABILITY_LONG=1): three rounds of 1000 concurrent
// POST /invoke and 1000 queue messages on one local stack.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../cli/src/stack/stack.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { Api } from "./support/api.ts";
import { report } from "./support/figures.ts";
import { runLoad } from "./support/load.ts";
import { makeProject } from "./support/project.ts";
import { SECRETS } from "./support/secrets.ts";
import { startInProcess } from "./support/stacks.ts";

const ROUNDS = Number(process.env.KTSU_RELIABILITY_LOAD_ROUNDS ?? 3);
const PER_ROUND = Number(process.env.KTSU_RELIABILITY_LOAD_RUNS ?? 1000);

let fake: FakeProvider;
let projectDir: string;
let stateDir: string;
let stack: LocalStack;
let api: Api;

beforeAll(async () => {
  fake = await startFakeProvider();
  projectDir = await makeProject({ liarUrl: "http://127.0.0.1:9" });
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-rel-load-"));
  stack = await startInProcess({ projectDir, stateDir, environment: { ...process.env, FAKE_PROVIDER_URL: fake.url, FAKE_API_KEY: SECRETS.providerKey } });
  api = new Api(stack.url);
});

afterAll(async () => {
  await stack?.dispose();
  await fake?.close();
  await rm(stateDir, { recursive: true, force: true });
  await rm(projectDir, { recursive: true, force: true });
});

describe(`load, long: ${ROUNDS} rounds of ${PER_ROUND} invokes + ${PER_ROUND} queue messages`, () => {
  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: every accepted run ends, D1 and the Durable Objects agree, none lost`, async () => {
      fake.reset();
      const result = await runLoad(stack, api, { invokes: PER_ROUND, messages: PER_ROUND, tag: `long${round}`, timeoutMs: 600_000 });
      expect(result.accepted).toBe(result.invoked); // no invoke was refused under load
      expect(result.lost).toEqual([]);
      expect(result.disagreements).toEqual([]);
      expect(result.complete).toBe(result.accepted + result.queued);
      report(`load (long) round ${round}`, {
        runs: result.accepted + result.queued,
        "accepted invokes": `${result.accepted}/${result.invoked}`,
        "all terminal after (s)": result.seconds,
        "runs/s": result.runsPerSecond,
        "invoke p50 (ms)": result.invokeP50Ms,
        "invoke p99 (ms)": result.invokeP99Ms,
      });
    });
  }
});
