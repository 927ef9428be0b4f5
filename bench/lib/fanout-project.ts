// The fanout benches' project: one agent step per item of `params.items`, at a set
// concurrency, against a fake OpenAI-compatible provider at env.FAKE_URL.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** The system prompt of the item agent (a fake-provider plan matches on it). */
export const ITEM_PROMPT = "You process one item";

const agent = `name: worker
model: default
params:
  schema:
    type: object
    required: [n]
    properties:
      n: { type: string }
prompt:
  system: ${ITEM_PROMPT}.
  user: "Item {{ params.n }}"
output:
  schema:
    type: object
    required: [ok]
    properties:
      ok: { type: boolean }
`;

const workflow = (name: string, concurrency: number) => `name: ${name}
params:
  schema:
    type: object
    required: [items]
    properties:
      items: { type: array }
pipeline:
  - id: each
    agent: agents/worker.agent.yaml
    for_each:
      from: params.items
      concurrency: ${concurrency}
    params:
      n: "{{ item }}"
`;

export const FAKE_GATEWAY = `env:
  - name: FAKE_URL
providers:
  - name: fake
    type: openai
    config:
      base_url: "{{ env.FAKE_URL }}/v1"
      api_key: fake-key
model_groups:
  - name: default
    models: ["fake/fake-model"]
    pricing:
      - model: fake-model
        input_per_million: 1
        output_per_million: 2
`;

/**
 * Writes the `fan` workflow at one concurrency, or a `fan-<c>` workflow for each of several,
 * with their agent and the gateway config, into `projectDir`.
 */
export async function writeFanoutProject(projectDir: string, concurrency: number | readonly number[]): Promise<void> {
  await mkdir(path.join(projectDir, "workflows"), { recursive: true });
  await mkdir(path.join(projectDir, "agents"), { recursive: true });
  await writeFile(path.join(projectDir, "agents", "worker.agent.yaml"), agent);
  const named = typeof concurrency === "number" ? [{ name: "fan", concurrency }] : concurrency.map((c) => ({ name: fanoutWorkflow(c), concurrency: c }));
  for (const { name, concurrency: c } of named) await writeFile(path.join(projectDir, "workflows", `${name}.workflow.yaml`), workflow(name, c));
  await writeFile(path.join(projectDir, "gateway.yaml"), FAKE_GATEWAY);
}

/** The workflow of one concurrency in a project written with several. */
export function fanoutWorkflow(concurrency: number): string {
  return `fan-${concurrency}`;
}

/** The item agent's reply: `{"ok": true}`, padded to about `bytes` bytes when asked. */
export function itemReply(bytes = 0): string {
  return bytes > 0 ? JSON.stringify({ ok: true, pad: "x".repeat(Math.max(0, bytes - 20)) }) : '{"ok": true}';
}
