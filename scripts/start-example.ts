// `npm start [example]`: `ktsu start --all --project-dir examples/<example>` (default: hello).
// Offline by default: with no provider configured it starts the local fake provider
// (test/fake-provider) first. ANTHROPIC_API_KEY or OPENAI_BASE_URL switch to a real model.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "../cli/src/stack/paths.ts";
import { startFakeProvider, type FakePlan } from "../test/fake-provider/server.ts";
import { startHttpSink } from "../test/support/http-sink.ts";

const example = process.argv[2] ?? "hello";
const projectDir = path.join("examples", example);
if (!existsSync(path.join(REPO_ROOT, projectDir))) throw new Error(`no example named "${example}" in examples/`);

const args = ["start", "--all", "--project-dir", projectDir];
const variant = (name: string) => path.join(projectDir, `gateway.${name}.yaml`);
if (process.env.ANTHROPIC_API_KEY && existsSync(path.join(REPO_ROOT, variant("anthropic")))) {
  args.push("--gateway-config", variant("anthropic"));
  console.log("ktsu: using the Anthropic API (ANTHROPIC_API_KEY is set)");
} else if (process.env.OPENAI_BASE_URL && existsSync(path.join(REPO_ROOT, variant("openai")))) {
  args.push("--gateway-config", variant("openai"));
  console.log(`ktsu: using the OpenAI-compatible endpoint ${process.env.OPENAI_BASE_URL}`);
} else {
  const port = Number(process.env.KTSU_FAKE_PROVIDER_PORT ?? 5099);
  // An example may script its agents' tool calls for the fake provider (what a real model would decide).
  const planFile = path.join(REPO_ROOT, projectDir, "fake-plan.json");
  const plans = existsSync(planFile) ? (JSON.parse(readFileSync(planFile, "utf8")) as { plans: FakePlan[] }).plans : [];
  const fake = await startFakeProvider({ port, plans });
  process.env.KTSU_FAKE_PROVIDER_URL = fake.url;
  console.log(`ktsu: no ANTHROPIC_API_KEY or OPENAI_BASE_URL: using the local fake provider at ${fake.url}`);
}

// Examples with webhooks post to EXAMPLE_WEBHOOK_URL: a local receiver that prints what arrives.
if (!process.env.EXAMPLE_WEBHOOK_URL) {
  const port = Number(process.env.KTSU_EXAMPLE_SINK_PORT ?? 5098);
  const sink = await startHttpSink({ port, onCall: (call) => console.log(`webhook receiver: ${call.method} ${call.path} ${call.body}`) });
  process.env.EXAMPLE_WEBHOOK_URL = `${sink.url}/hook`;
}

process.chdir(REPO_ROOT);
process.argv = [process.argv[0]!, "ktsu", ...args];
await import("../cli/src/main.ts");
