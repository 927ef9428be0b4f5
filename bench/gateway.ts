// Gateway overhead: chat completions against the local fake provider with a fixed
// latency, three ways — direct, through our gateway Worker, through the Portkey
// open-source gateway — interleaved (A B C A B C …). Reports p50/p95 and the
// latency each gateway adds over the direct call.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from "miniflare";
import { localWorkerOptions } from "../cli/src/stack/stack.ts";
import { startLocalProject } from "../cli/src/stack/start-local.ts";
import { startFakeProvider } from "../test/fake-provider/server.ts";
import { PORTKEY_VERSION, startPortkey, type Portkey } from "./lib/portkey.ts";
import { fmt, percentile, printTable, writeResults } from "./lib/stats.ts";
import { errorMessage } from "../shared/util/errors.ts";

const REPS = Number(process.env.BENCH_REPS ?? 300);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 5);
const body = { model: "fake-model", max_tokens: 64, messages: [{ role: "user", content: "Say hi" }] };

async function main(): Promise<void> {
  const fake = await startFakeProvider();
  fake.plan({ match: "", replies: [{ delay_ms: LATENCY_MS, text: "hi" }] });

  const work = await mkdtemp(path.join(tmpdir(), "ktsu-bench-gw-"));
  const projectDir = path.join(work, "project");
  await mkdir(path.join(projectDir, "workflows"), { recursive: true });
  await writeFile(path.join(projectDir, "workflows", "noop.workflow.yaml"), "name: noop\npipeline:\n  - id: a\n    transform:\n      inputs: []\n");
  await writeFile(
    path.join(projectDir, "gateway.yaml"),
    `env:\n  - name: FAKE_URL\n  - name: FAKE_KEY\n    secret: true\n    default: fake-key\nproviders:\n  - name: fake\n    type: openai\n    config:\n      base_url: "{{ env.FAKE_URL }}/v1"\n      api_key: "{{ env.FAKE_KEY }}"\nmodel_groups:\n  - name: default\n    models: ["fake/fake-model"]\n    pricing:\n      - model: fake-model\n        input_per_million: 1\n        output_per_million: 2\n`,
  );
  // Build the project and the Workers as the local stack does, then serve the gateway on its
  // own port: the client reaches it over plain HTTP, exactly as it reaches Portkey.
  const { stack } = await startLocalProject({ projectDir, stateDir: path.join(work, "state"), port: 0, environment: { ...process.env, FAKE_URL: fake.url } });
  await stack.dispose();
  const entry = path.join(work, "state", "build", "gateway", "index.js");
  const gatewayMf = new Miniflare(
    convertV4MiniflareOptions({
      cf: false,
      port: 0,
      log: new Log(LogLevel.WARN),
      workers: [localWorkerOptions("gateway", entry, { vars: { gateway: { FAKE_URL: fake.url } } })],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const gatewayUrl = await gatewayMf.ready;
  // The same hop with no gateway logic: a Worker that only forwards to the provider. The
  // difference between it and our gateway is what the gateway's own work costs.
  const nullProxy = new Miniflare(
    convertV4MiniflareOptions({
      cf: false,
      port: 0,
      log: new Log(LogLevel.WARN),
      workers: [
        {
          name: "null-proxy",
          modules: true,
          compatibilityDate: "2026-10-01",
          script: `export default { fetch(request) { const url = new URL(request.url); return fetch(${JSON.stringify(fake.url)} + url.pathname, request); } };`,
        },
      ],
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const nullProxyUrl = await nullProxy.ready;

  let portkey: Portkey | null = null;
  let portkeyNote = "";
  try {
    portkey = await startPortkey(8788);
  } catch (err) {
    portkeyNote = `Portkey not measured: ${errorMessage(err)}`;
  }

  const sides: Record<string, () => Promise<Response>> = {
    direct: () =>
      fetch(`${fake.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer fake-key", "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    "workerd hop only": () =>
      fetch(new URL("/v1/chat/completions", nullProxyUrl), {
        method: "POST",
        headers: { authorization: "Bearer fake-key", "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    ktsu: () =>
      fetch(new URL("/invoke", gatewayUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ run_id: "bench", step_id: "s", group: "default", max_tokens: 64, messages: body.messages }),
      }),
    ...(portkey
      ? {
          portkey: () =>
            fetch(`${portkey!.url}/v1/chat/completions`, {
              method: "POST",
              headers: {
                authorization: "Bearer fake-key",
                "content-type": "application/json",
                "x-portkey-provider": "openai",
                "x-portkey-custom-host": `${fake.url}/v1`,
              },
              body: JSON.stringify(body),
            }),
        }
      : {}),
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  try {
    for (const call of Object.values(sides)) for (let i = 0; i < 20; i++) await (await call()).arrayBuffer(); // warm-up
    for (let i = 0; i < REPS; i++) {
      for (const [name, call] of Object.entries(sides)) {
        const t0 = performance.now();
        const res = await call();
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`);
        samples[name]!.push(performance.now() - t0);
      }
    }
  } finally {
    portkey?.stop();
    await gatewayMf.dispose();
    await nullProxy.dispose();
    await fake.close();
    await rm(work, { recursive: true, force: true });
  }

  const directP50 = percentile(samples.direct!, 50);
  const rows = Object.entries(samples).map(([name, values]) => {
    const p50 = percentile(values, 50);
    return [name, fmt(p50), fmt(percentile(values, 95)), name === "direct" ? "-" : fmt(p50 - directP50)];
  });
  console.log(`\nGateway overhead: ${REPS} interleaved calls per side, fake provider latency ${LATENCY_MS} ms\n`);
  printTable(["path", "p50 ms", "p95 ms", "added p50 ms"], rows);
  const hop = percentile(samples["workerd hop only"]!, 50);
  console.log(`\nour gateway's own work (ktsu − workerd hop only): ${fmt(percentile(samples.ktsu!, 50) - hop)} ms p50`);
  if (portkeyNote) console.log(`\n${portkeyNote}`);
  const file = writeResults("gateway", { reps: REPS, latency_ms: LATENCY_MS, portkey_version: portkey ? PORTKEY_VERSION : null, samples });
  console.log(`\nraw results: ${path.relative(process.cwd(), file)}`);
}

await main();
