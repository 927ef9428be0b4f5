// The web run viewer in a real browser (Debian's Chromium via playwright-core)
// against the local stack `ktsu start` runs, on test/fixtures/ui-project.
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { launchBrowser, startHoldingServer, type HoldingServer } from "./support.ts";
import { waitFor } from "../support/poll.ts";

const ADMIN_TOKEN = "admin-token-e2e-5c1d";
const ARTIFACTS = path.join(REPO_ROOT, "test", "artifacts");

let started: StartedProject;
let stateDir: string;
let hooks: HoldingServer;
let fake: FakeProvider;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let base: string;
/** The pipeline run the live test watched. */
let pipelineRun: string;
const shots: string[] = [];
/** What the browser reported refusing under the viewer's Content-Security-Policy. */
const cspViolations: string[] = [];

async function invoke(workflow: string, params: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${base}/invoke/${workflow}`, { method: "POST", body: JSON.stringify(params) });
  expect(res.status).toBe(202);
  return ((await res.json()) as { run_id: string }).run_id;
}

async function runStatus(id: string): Promise<string> {
  const res = await fetch(`${base}/runs/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await res.json()) as { run: { status: string } }).run.status;
}

async function stepStatus(runId: string, stepId: string): Promise<string | undefined> {
  const res = await fetch(`${base}/runs/${encodeURIComponent(runId)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const body = (await res.json()) as { steps: { id: string; status: string }[] | null };
  return body.steps?.find((s) => s.id === stepId)?.status;
}

async function runIds(workflow: string): Promise<string[]> {
  const res = await fetch(`${base}/runs?workflow=${workflow}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return ((await res.json()) as { runs: { id: string }[] }).runs.map((r) => r.id);
}

async function screenshot(name: string): Promise<void> {
  const file = path.join(ARTIFACTS, `ui-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

const node = (id: string) => page.locator(`[data-testid=dag] g.node[data-step="${id}"]`);
const runStatusBadge = () => page.locator("[data-testid=run-status] .badge");

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  hooks = await startHoldingServer();
  fake = await startFakeProvider({ port: 0 });
  // Each agent answers by its own plan (turn N gets reply N), so runs in parallel never take each other's replies.
  fake.plan(
    { match: "You review the topic", replies: [{ text: JSON.stringify({ verdict: "hold", ktsu_needs_human: true }) }] },
    {
      match: "You delete the key you are given",
      replies: [
        { tool_calls: [{ id: "call_delete", name: "delete", arguments: { key: "temp-1" } }] },
        { text: JSON.stringify({ key: "temp-1", deleted: true }) },
      ],
    },
  );
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-e2e-"));
  started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "test", "fixtures", "ui-project"),
    stateDir,
    port: 0,
    environment: {
      SLOW_URL: hooks.url,
      KTSU_EGRESS_ALLOW: hooks.host,
      KTSU_FAKE_PROVIDER_URL: fake.url,
      KTSU_ADMIN_TOKEN: ADMIN_TOKEN,
    },
  });
  base = started.stack.url.href.replace(/\/$/, "");
  browser = await launchBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(15_000);
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await started?.stack.dispose();
  await hooks?.close();
  await fake?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("the web run viewer", () => {
  it("is served at /ui by the orchestrator, and the root redirects there", async () => {
    const res = await fetch(`${base}/`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/ui/");
    const html = await fetch(`${base}/ui/`);
    expect(html.status).toBe(200);
    expect(html.headers.get("content-type")).toContain("text/html");
    expect(await html.text()).toMatch(/<script type="module" src="app\.js\?v=[0-9a-f]+"><\/script>/);
    // The API routes still reach the Worker.
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it("serves each workflow's DAG to the admin only", async () => {
    expect((await fetch(`${base}/workflows/pipeline/graph`)).status).toBe(401);
    expect((await fetch(`${base}/workflows`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const res = await fetch(`${base}/workflows/pipeline/graph`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const graph = (await res.json()) as { name: string; nodes: { id: string; type: string; dependencies: string[]; condition?: string }[] };
    expect(graph.name).toBe("pipeline");
    expect(graph.nodes.map((n) => [n.id, n.type, n.dependencies])).toEqual([
      ["fetch", "webhook", []],
      ["audit", "transform", []],
      ["shape", "transform", ["fetch"]],
      ["notify", "webhook", ["shape"]],
      ["summary", "transform", ["shape", "notify", "audit"]],
    ]);
    expect(graph.nodes.find((n) => n.id === "notify")?.condition).toBe("params.notify");
  });

  it("asks for the admin token when the API refuses, then lists runs", async () => {
    expect((await fetch(`${base}/workflows`)).status).toBe(401);
    await page.goto(`${base}/ui/`);
    const login = page.getByTestId("login");
    await login.waitFor();
    await screenshot("login");
    await login.locator("input[name=token]").fill("wrong-token");
    await login.locator("button[type=submit]").click();
    await login.waitFor(); // refused again
    await expect.poll(() => login.textContent()).toContain("refused");
    await login.locator("input[name=token]").fill(ADMIN_TOKEN);
    await login.locator("button[type=submit]").click();
    await page.getByTestId("no-runs").waitFor();
    expect(await page.getByTestId("login").count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem("ktsu.admin-token"))).toBe(ADMIN_TOKEN);
  });

  it("follows a run live from running to complete on its DAG", async () => {
    hooks.hold();
    const runId = await invoke("pipeline", { order: "A-17", notify: false });
    pipelineRun = runId;
    await page.goto(`${base}/ui/#/runs/${encodeURIComponent(runId)}`);
    await page.getByTestId("run-page").waitFor();

    // While the webhook is held, the run is running and so is its first step.
    await node("fetch").and(page.locator("[data-status=running]")).waitFor();
    expect(await runStatusBadge().getAttribute("data-status")).toBe("running");
    expect(await node("audit").getAttribute("data-status")).toBe("complete");
    expect(await node("summary").getAttribute("data-status")).toBe("pending");
    // The edges come with the workflow's graph, read once the run is known.
    await page.locator(`[data-testid=dag] path.edge[data-from=shape][data-to=summary]`).waitFor();
    expect(await page.locator(`[data-testid=dag] path.edge[data-from=audit][data-to=summary]`).count()).toBe(1);
    await screenshot("run-running");

    hooks.release();
    // No reload: the page changes with the events it receives.
    await runStatusBadge().and(page.locator("[data-status=complete]")).waitFor();
    for (const id of ["fetch", "audit", "shape", "summary"]) expect(await node(id).getAttribute("data-status")).toBe("complete");
    expect(await node("notify").getAttribute("data-status")).toBe("skipped");
    await expect.poll(() => page.locator(".live").count()).toBe(0);
    await expect.poll(() => page.getByTestId("event-log").locator("li[data-type=run_completed]").count()).toBe(1);
    expect(await page.getByTestId("cost-chart").count()).toBe(1);

    // The step detail panel: timing of the held webhook.
    await node("fetch").click();
    const detail = page.getByTestId("step-detail");
    await detail.and(page.locator("[data-step=fetch]")).waitFor();
    expect(await detail.textContent()).toContain("POST {{ env.SLOW_URL }}/slow");
    await expect.poll(() => detail.textContent()).toContain('"status_code": 200');
    // A webhook calls no model, so the panel names none.
    expect(await detail.getByTestId("step-model").count()).toBe(0);
    await screenshot("run-complete");
    expect(await runStatus(runId)).toBe("complete");
  });

  it("filters the runs list by workflow and status", async () => {
    const failedId = await invoke("strict", {});
    await waitFor(async () => (await runStatus(failedId)) === "failed", "the strict run to fail");
    await page.goto(`${base}/ui/#/runs`);
    const rows = page.locator("[data-testid=runs] tbody tr");
    const shown = () => rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute("data-run-id")} ${tr.getAttribute("data-status")}`));
    await expect.poll(shown).toEqual([`${failedId} failed`, `${pipelineRun} complete`]);

    await page.getByTestId("filter-status").selectOption("failed");
    await expect.poll(shown).toEqual([`${failedId} failed`]);
    expect(page.url()).toContain("#/runs?status=failed");

    await page.getByTestId("filter-status").selectOption("");
    await page.getByTestId("filter-workflow").selectOption("pipeline");
    await expect.poll(shown).toEqual([`${pipelineRun} complete`]);
    expect(page.url()).toContain("#/runs?workflow=pipeline");
    await page.getByTestId("filter-workflow").selectOption("");
    await expect.poll(shown).toEqual([`${failedId} failed`, `${pipelineRun} complete`]);
    await screenshot("runs");
  });

  it("shows Air-Lock failures with the failing paths and the rejected output", async () => {
    const [failedId] = await runIds("strict");
    await page.locator(`[data-testid=runs] tbody tr[data-run-id="${failedId}"] a.mono`).click();
    await page.getByTestId("run-page").waitFor();
    expect(await runStatusBadge().getAttribute("data-status")).toBe("failed");
    expect(await page.getByTestId("run-error").textContent()).toContain('output missing required field "total"');
    // The failed step is selected by default.
    const detail = page.getByTestId("step-detail");
    await detail.and(page.locator("[data-step=check]")).waitFor();
    expect(await page.getByTestId("airlock-path").allTextContents()).toEqual(["/total", "/result"]);
    expect(await detail.textContent()).toContain("Rejected output (raw)");
    expect(await node("check").getAttribute("data-status")).toBe("failed");
    await screenshot("airlock");
  });

  it("approves a human review on the run page: the run resumes and completes", async () => {
    const runId = await invoke("review", { topic: "launch" });
    await waitFor(async () => (await runStatus(runId)) === "needs_human", "the review run to halt");
    await page.goto(`${base}/ui/#/runs/${encodeURIComponent(runId)}`);
    await page.getByTestId("run-approvals").waitFor();
    expect(await runStatusBadge().getAttribute("data-status")).toBe("needs_human");
    expect(await node("draft").getAttribute("data-status")).toBe("needs_human");
    const detail = page.getByTestId("step-detail");
    expect(await detail.getByTestId("reserved-signal").textContent()).toContain("ktsu_needs_human");
    expect(await detail.getByTestId("step-approval").textContent()).toContain('"verdict": "hold"');
    // The model that answered the agent (the gateway's `model_resolved`), next to its tokens and cost.
    await detail.getByTestId("step-model").waitFor();
    expect(await detail.getByTestId("step-model").textContent()).toBe("fake/fake-model");
    // The chart is drawn from the event stream, which may still be arriving.
    await expect.poll(async () => Number((await page.getByTestId("cost-chart").getAttribute("data-total")) ?? 0)).toBeGreaterThan(0);
    // The timeline: the halted step and the LLM call it made, from the step's recorded calls.
    const timeline = page.getByTestId("timeline");
    await timeline.locator("li[data-kind=step][data-step=draft]").waitFor();
    expect(await timeline.locator("li[data-kind=llm][data-step=draft]").count()).toBe(1);
    await screenshot("needs-human");

    await page.getByTestId("run-approvals").getByTestId("approve").click();
    await runStatusBadge().and(page.locator("[data-status=complete]")).waitFor();
    await expect.poll(() => node("draft").getAttribute("data-status")).toBe("complete");
    await expect.poll(() => node("publish").getAttribute("data-status")).toBe("complete");
    await expect.poll(() => page.getByTestId("run-approvals").count()).toBe(0);
    expect(await runStatus(runId)).toBe("complete");
  });

  it("shows a gated tool call waiting on its running run", async () => {
    const runId = await invoke("cleanup", { key: "temp-1" });
    await waitFor(async () => (await stepStatus(runId, "clean")) === "pending_approval", "the delete to wait for approval");
    await page.goto(`${base}/ui/#/runs/${encodeURIComponent(runId)}`);
    await page.getByTestId("run-approvals").waitFor();
    // A step waiting for an approval keeps its run running.
    expect(await runStatusBadge().getAttribute("data-status")).toBe("running");
    expect(await node("clean").getAttribute("data-status")).toBe("pending_approval");
    const approval = page.getByTestId("step-detail").getByTestId("step-approval");
    expect(await approval.textContent()).toContain("Approve the call to delete?");
    expect(await approval.textContent()).toContain('"key": "temp-1"');
    await screenshot("tool-approval");
  });

  it("lists pending approvals across runs: approves the tool call, rejects a review", async () => {
    const [cleanupRun] = await runIds("cleanup");
    const reviewRun = await invoke("review", { topic: "rollback" });
    await waitFor(async () => (await runStatus(reviewRun)) === "needs_human", "the second review run to halt");

    await page.goto(`${base}/ui/#/approvals`);
    const row = (runId: string) => page.locator(`[data-testid=approvals] tr[data-run-id="${runId}"]`);
    await row(reviewRun).waitFor();
    await row(cleanupRun!).waitFor();
    expect(await row(reviewRun).getAttribute("data-step")).toBe("draft");
    expect(await row(reviewRun).textContent()).toContain("ktsu_needs_human");
    expect(await row(cleanupRun!).getAttribute("data-step")).toBe("clean");
    expect(await row(cleanupRun!).textContent()).toContain("delete");
    await expect.poll(() => page.getByTestId("approval-count").textContent()).toBe("2");
    await screenshot("approvals");

    await row(cleanupRun!).getByTestId("approve").click();
    await expect.poll(() => row(cleanupRun!).count()).toBe(0);
    await row(reviewRun).getByTestId("reject").click();
    await page.getByTestId("no-approvals").waitFor();
    expect(await page.getByTestId("decided").allTextContents()).toEqual([`${reviewRun}/draft: rejected`, `${cleanupRun}/clean: approved`]);
    await waitFor(async () => (await runStatus(reviewRun)) === "failed", "the rejected review to fail its run");
    await waitFor(async () => (await runStatus(cleanupRun!)) === "complete", "the approved delete to complete its run");
  });

  it("cancels a running run from its page: the run and its running step turn cancelled, the steps after it never start", async () => {
    hooks.hold();
    const runId = await invoke("pipeline", { order: "C-1", notify: true });
    await page.goto(`${base}/ui/#/runs/${encodeURIComponent(runId)}`);
    await node("fetch").and(page.locator("[data-status=running]")).waitFor();
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByTestId("cancel-run").click();
    // No reload: the run_cancelled event recolours the run, and the button goes with the running state.
    await runStatusBadge().and(page.locator("[data-status=cancelled]")).waitFor();
    await expect.poll(() => node("fetch").getAttribute("data-status")).toBe("failed");
    await expect.poll(() => page.getByTestId("cancel-run").count()).toBe(0);
    await expect.poll(() => page.getByTestId("event-log").locator("li[data-type=run_cancelled]").count()).toBe(1);
    await screenshot("run-cancelled");
    hooks.release();
    expect(await runStatus(runId)).toBe("cancelled");
    expect(await stepStatus(runId, "shape")).toBeUndefined();
  });

  it("pages through a fanout step's items in its detail panel", async () => {
    // One more item than a page holds, so the second page is read on request.
    const words = Array.from({ length: 55 }, (_, i) => `word-${i}`);
    const runId = await invoke("batch", { words });
    await waitFor(async () => (await runStatus(runId)) === "complete", "the batch run to complete");
    await page.goto(`${base}/ui/#/runs/${encodeURIComponent(runId)}`);
    await node("tag").click();
    const items = page.getByTestId("fanout-items");
    const indexes = () => items.getByTestId("fanout-item").evaluateAll((rows) => rows.map((row) => Number(row.getAttribute("data-index"))));
    await expect.poll(indexes).toEqual(words.slice(0, 50).map((_, i) => i));
    expect(await items.getByTestId("fanout-items-count").textContent()).toBe("50 of 55");
    expect(await items.locator("[data-testid=fanout-item] .badge").first().getAttribute("data-status")).toBe("complete");
    await items.getByTestId("fanout-items-more").click();
    await expect.poll(indexes).toEqual(words.map((_, i) => i));
    expect(await items.getByTestId("fanout-items-count").textContent()).toBe("55 of 55");
    expect(await items.getByTestId("fanout-items-more").count()).toBe(0);
    // Each item's own output, as the agent answered it.
    await items.locator('[data-testid=fanout-item][data-index="54"] summary').click();
    expect(await items.locator('[data-testid=fanout-item][data-index="54"] pre.json').textContent()).toContain('"tag"');
    await screenshot("fanout-items");
  });

  it("ran every page above under its Content-Security-Policy without a violation", async () => {
    const html = await fetch(`${base}/ui/`);
    expect(html.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(cspViolations).toEqual([]);
  });

  it("saved a non-empty PNG screenshot of every page it checked", async () => {
    expect(shots.map((f) => path.basename(f))).toEqual([
      "ui-login.png",
      "ui-run-running.png",
      "ui-run-complete.png",
      "ui-runs.png",
      "ui-airlock.png",
      "ui-needs-human.png",
      "ui-tool-approval.png",
      "ui-approvals.png",
      "ui-run-cancelled.png",
      "ui-fanout-items.png",
    ]);
    for (const file of shots) {
      expect((await stat(file)).size).toBeGreaterThan(5_000);
      expect((await readFile(file)).subarray(1, 4).toString()).toBe("PNG");
    }
  });
});
