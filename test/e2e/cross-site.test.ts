// A page on another origin, in a real browser, against the local stack at its most open (no
// admin token, no invoke.auth): it can neither start a run nor decide an approval, whether it
// sends a no-cors `text/plain` fetch or submits a form, and it cannot frame the viewer.
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../cli/src/stack/paths.ts";
import { startLocalProject, type StartedProject } from "../../cli/src/stack/start-local.ts";
import { startFakeProvider, type FakeProvider } from "../fake-provider/server.ts";
import { launchBrowser, startHoldingServer, type HoldingServer } from "./support.ts";
import { waitFor } from "../support/poll.ts";

let started: StartedProject;
let stateDir: string;
let fake: FakeProvider;
let hooks: HoldingServer;
let attacker: Server;
let attackerOrigin: string;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
let base: string;

/** The attacker's page: it runs whatever script the test puts in `?script=` once loaded. */
const ATTACKER_PAGE = `<!doctype html><html><body><script>
  const script = new URLSearchParams(location.search).get("script");
  if (script) new Function(script)();
</script></body></html>`;

async function runCount(): Promise<number> {
  return ((await (await fetch(`${base}/runs?limit=500`)).json()) as { runs: unknown[] }).runs.length;
}

async function runStatus(id: string): Promise<string> {
  return ((await (await fetch(`${base}/runs/${encodeURIComponent(id)}`)).json()) as { run: { status: string } }).run.status;
}

/** The browser got an answer but kept it from the page (the API's Cross-Origin-Resource-Policy: same-origin). */
const WITHHELD = "withheld";

/**
 * Opens the attacker's page with a script and waits until the browser has had `expected`
 * answers from the stack: each answer's status, or WITHHELD when the browser received it
 * but blocked it for the page (a no-cors fetch of a same-origin-only resource).
 */
async function attack(script: string, expected: number): Promise<Array<number | string>> {
  const answers: Array<number | string> = [];
  const onResponse = (res: { url(): string; status(): number }) => {
    if (res.url().startsWith(base)) answers.push(res.status());
  };
  const onFailed = (req: { url(): string; failure(): { errorText: string } | null }) => {
    if (req.url().startsWith(base))
      answers.push(req.failure()?.errorText.startsWith("net::ERR_BLOCKED_BY_RESPONSE") ? WITHHELD : `failed: ${req.failure()?.errorText}`);
  };
  page.on("response", onResponse);
  page.on("requestfailed", onFailed);
  try {
    await page.goto(`${attackerOrigin}/?script=${encodeURIComponent(script)}`);
    await waitFor(async () => answers.length >= expected, `${expected} answer(s) to the attacker's requests`);
  } finally {
    page.off("response", onResponse);
    page.off("requestfailed", onFailed);
  }
  return answers;
}

/**
 * A form the page submits into a hidden frame: the classic cross-site POST. A text/plain form
 * sends `name=value`, so the JSON is split across the two: `{"a":"b","pad":"` `=` `"}`.
 */
const formPost = (action: string, fields: Record<string, string>) => {
  const name = `${JSON.stringify(fields).slice(0, -1)},"pad":"`;
  return `
  const frame = document.createElement("iframe"); frame.name = "sink"; document.body.append(frame);
  const form = document.createElement("form");
  form.method = "POST"; form.enctype = "text/plain"; form.target = "sink"; form.action = ${JSON.stringify(action)};
  const field = document.createElement("input"); field.name = ${JSON.stringify(name)}; field.value = '"}';
  form.append(field); document.body.append(form); form.submit();`;
};

const noCorsPost = (action: string, body: string) =>
  `fetch(${JSON.stringify(action)}, { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: ${JSON.stringify(body)} });`;

beforeAll(async () => {
  fake = await startFakeProvider({ port: 0 });
  fake.plan({ match: "You review the topic", replies: [{ text: JSON.stringify({ verdict: "hold", ktsu_needs_human: true }) }] });
  hooks = await startHoldingServer();
  stateDir = await mkdtemp(path.join(tmpdir(), "ktsu-e2e-xsite-"));
  // No KTSU_ADMIN_TOKEN and not --secure: the local stack's open mode, the most a page could hope for.
  started = await startLocalProject({
    projectDir: path.join(REPO_ROOT, "test", "fixtures", "ui-project"),
    stateDir,
    port: 0,
    environment: { SLOW_URL: hooks.url, KTSU_EGRESS_ALLOW: hooks.host, KTSU_FAKE_PROVIDER_URL: fake.url },
  });
  base = started.stack.url.href.replace(/\/$/, "");
  attacker = createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(ATTACKER_PAGE);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  // Another site: "localhost" is not the stack's 127.0.0.1.
  attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
  browser = await launchBrowser();
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.setDefaultTimeout(15_000);
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await started?.stack.dispose();
  await hooks?.close();
  await fake?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe("a page on another origin", () => {
  it("cannot start a run: a no-cors text/plain fetch and a form POST are both refused (403)", async () => {
    const before = await runCount();
    const invoke = `${base}/invoke/review`;
    // The answer (a 403) reaches the browser, which withholds even that from the page.
    expect(await attack(noCorsPost(invoke, '{"topic":"pwned"}'), 1)).toEqual([WITHHELD]);
    // The form's 403 is then not even shown in the frame (frame-ancestors 'none').
    expect(await attack(formPost(invoke, { topic: "pwned" }), 2)).toEqual([403, WITHHELD]);
    expect(await runCount()).toBe(before);
    // The same request without an Origin (curl, scripts, the CLI) starts a run: the refusal is the Origin's doing.
    const res = await fetch(invoke, { method: "POST", headers: { "content-type": "text/plain" }, body: '{"topic":"fine"}' });
    expect(res.status).toBe(202);
    expect(await runCount()).toBe(before + 1);
  });

  it("cannot decide an approval", async () => {
    const res = await fetch(`${base}/invoke/review`, { method: "POST", body: '{"topic":"launch"}' });
    const { run_id: runId } = (await res.json()) as { run_id: string };
    await waitFor(async () => (await runStatus(runId)) === "needs_human", "the review to wait for a human");
    const decide = `${base}/runs/${encodeURIComponent(runId)}/steps/draft/approval/decide`;
    expect(await attack(noCorsPost(decide, '{"decision":"approved"}'), 1)).toEqual([WITHHELD]);
    expect(await attack(formPost(decide, { decision: "approved" }), 2)).toEqual([403, WITHHELD]);
    expect(await runStatus(runId)).toBe("needs_human");
    const approval = (await (await fetch(`${base}/runs/${encodeURIComponent(runId)}/steps/draft/approval`)).json()) as { status: string };
    expect(approval.status).toBe("pending");
  });

  it("cannot frame the viewer (frame-ancestors 'none')", async () => {
    const statuses = await attack(
      `const frame = document.createElement("iframe"); frame.id = "viewer"; frame.src = ${JSON.stringify(`${base}/ui/`)}; document.body.append(frame);`,
      2,
    );
    // The viewer's page arrives, and the browser refuses to show it in the frame.
    expect(statuses).toEqual([200, WITHHELD]);
    expect(await (await (await page.waitForSelector("#viewer")).contentFrame())?.locator("#app").count()).toBe(0);
  });
});
