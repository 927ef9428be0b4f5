// A local stack started for replays: the project built with its network edges pointed at the
// replay server, in a state directory of its own (removed afterwards), on which recordings are
// replayed one at a time.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ProjectBundle } from "../../../shared/bundle.ts";
import { createScrubber, type Scrubber } from "../../../shared/secrets/scrub.ts";
import { OrchestratorClient } from "../client/orchestrator.ts";
import { startLocalProject, type StartedProject } from "../stack/start-local.ts";
import { replayBundle } from "./bundle.ts";
import { loadRecording, type Recording } from "./recording.ts";
import type { RequestMismatch } from "./request-check.ts";
import { startReplayServer, type ReplayServer } from "./server.ts";

export interface ReplayStackOptions {
  projectDir: string;
  /** Keep the project's providers (real model calls). */
  liveModels?: boolean;
  environment?: Record<string, string | undefined>;
  /** Print the Workers' logs (default: dropped). */
  verbose?: boolean;
}

export interface ReplayOutcome {
  replayed: Recording;
  mismatches: ReadonlyMap<string, RequestMismatch>;
  unanswered: readonly string[];
  /** Fanout items whose requests could not be checked (see ReplayServer.unchecked). */
  unchecked: ReadonlySet<string>;
}

export interface ReplayStack {
  /** Masks the replay environment's secrets (the values of variables declared `secret: true`). */
  scrub: Scrubber;
  replay(recording: Recording): Promise<ReplayOutcome>;
  dispose(): Promise<void>;
}

const ENDED = new Set(["complete", "failed", "cancelled", "needs_human"]);
const POLL_MS = 100;

function secretValues(bundle: ProjectBundle, environment: Record<string, string | undefined>): string[] {
  const declarations = [...Object.values(bundle.workflows).flatMap((w) => w.env), ...(bundle.gateway?.env ?? [])];
  return declarations.filter((d) => d.secret).flatMap((d) => [environment[d.name] ?? d.default ?? ""].filter((v) => v !== ""));
}

async function waitForEnd(client: OrchestratorClient, runId: string): Promise<void> {
  for (;;) {
    const { run, steps } = await client.getRun(runId);
    if (ENDED.has(run.status)) return;
    // A recorded approval is not replayed: a step waiting on a human ends the replay there.
    if ((steps ?? []).some((s) => s.status === "pending_approval")) return;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

export async function startReplayStack(options: ReplayStackOptions): Promise<ReplayStack> {
  const environment = options.environment ?? process.env;
  const stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-replay-"));
  let server: ReplayServer | undefined;
  let started: StartedProject | undefined;
  try {
    server = await startReplayServer();
    const edges = { url: server.url, ...(options.liveModels ? { liveModels: true } : {}) };
    started = await startLocalProject({
      projectDir: options.projectDir,
      stateDir,
      port: 0,
      environment,
      transformBundle: (bundle) => replayBundle(bundle, edges),
      ...(options.verbose ? {} : { onLog: () => {} }),
    });
  } catch (error) {
    await server?.close();
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  const replayServer = server;
  const stack = started;
  const scrub = createScrubber(secretValues(stack.bundle, environment));
  replayServer.setSecrets(scrub);
  const client = new OrchestratorClient(stack.stack.url.href, environment.KTSU_ADMIN_TOKEN ? { adminToken: environment.KTSU_ADMIN_TOKEN } : {});
  return {
    scrub,
    async replay(recording) {
      replayServer.use(recording);
      const { run_id } = await client.invoke(recording.workflow, JSON.stringify(recording.input));
      await waitForEnd(client, run_id);
      const replayed = await loadRecording(client, run_id);
      return {
        replayed,
        mismatches: new Map(replayServer.mismatches),
        unanswered: [...replayServer.unanswered],
        unchecked: new Set(replayServer.unchecked),
      };
    },
    async dispose() {
      await stack.stack.dispose();
      await replayServer.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
