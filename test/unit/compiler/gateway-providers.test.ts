// gateway.yaml's provider routes and price units: Workers AI providers (the AI binding,
// priced in neurons) and Anthropic/OpenAI providers routed through Cloudflare AI Gateway.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nodeProjectFs } from "../../../cli/src/fs.ts";
import { compileProject, type CompileResult } from "../../../shared/compiler/compile.ts";
import { formatDiagnostic } from "../../../shared/compiler/diagnostics.ts";

/** A project of one workflow (a transform step: no model group needed) and `yaml` as its gateway.yaml. */
function compileGateway(yaml: string): CompileResult {
  const dir = mkdtempSync(join(tmpdir(), "ktsu-gateway-"));
  try {
    mkdirSync(join(dir, "workflows"));
    writeFileSync(join(dir, "workflows", "noop.workflow.yaml"), "pipeline:\n  - id: t\n    transform: {}\n");
    writeFileSync(join(dir, "gateway.yaml"), yaml);
    return compileProject(nodeProjectFs(), { projectDir: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `file: field: reason` of each error (without the line and column formatDiagnostic adds). */
const errorsOf = (result: CompileResult) => result.report.errors.map((d) => `${d.file}: ${d.path}: ${d.message}`);

const VALID = `
env:
  - name: ANTHROPIC_API_KEY
    secret: true
  - name: OPENAI_API_KEY
    secret: true
  - name: CF_ACCOUNT_ID
  - name: CF_AIG_TOKEN
    secret: true
providers:
  - name: cf
    type: workers_ai
  - name: cf-logged
    type: workers_ai
    config:
      ai_gateway_id: my-gateway
  - name: claude
    type: anthropic
    config:
      api_key: "{{ env.ANTHROPIC_API_KEY }}"
      ai_gateway: "https://gateway.ai.cloudflare.com/v1/{{ env.CF_ACCOUNT_ID }}/my-gateway"
      ai_gateway_token: "{{ env.CF_AIG_TOKEN }}"
  - name: openai
    type: openai
    config:
      api_key: "{{ env.OPENAI_API_KEY }}"
      ai_gateway: "https://gateway.ai.cloudflare.com/v1/acct/my-gateway"
model_groups:
  - name: cheap
    strategy: cost_optimized
    models: ["cf/@cf/meta/llama-3.1-8b-instruct", "cf-logged/@cf/meta/llama-3.2-1b-instruct", "claude/claude-sonnet-4-6", "openai/gpt-4o-mini"]
    pricing:
      - model: "@cf/meta/llama-3.1-8b-instruct"
        input_neurons_per_million: 25608
        output_neurons_per_million: 75147
      - model: "@cf/meta/llama-3.2-1b-instruct"
        input_per_million: 0.027
        output_per_million: 0.201
`;

describe("gateway.yaml: Workers AI and AI Gateway", () => {
  it("accepts workers_ai providers without api_key, neuron prices, and ai_gateway routes", () => {
    const result = compileGateway(VALID);
    expect(errorsOf(result)).toEqual([]);
    expect(result.report.warnings.map(formatDiagnostic)).toEqual([]);
    const gateway = result.bundle?.gateway;
    expect(gateway?.providers.map((p) => [p.name, p.type])).toEqual([
      ["cf", "workers_ai"],
      ["cf-logged", "workers_ai"],
      ["claude", "anthropic"],
      ["openai", "openai"],
    ]);
    // Neurons become USD at $0.011 per 1,000 neurons; the rates stay in the bundle.
    const [neurons, usd] = gateway?.model_groups[0]?.pricing ?? [];
    expect(neurons?.input_per_million).toBeCloseTo(0.281688, 12);
    expect(neurons?.output_per_million).toBeCloseTo(0.826617, 12);
    expect(neurons).toMatchObject({ model: "@cf/meta/llama-3.1-8b-instruct", input_neurons_per_million: 25608, output_neurons_per_million: 75147 });
    expect(usd).toEqual({ model: "@cf/meta/llama-3.2-1b-instruct", input_per_million: 0.027, output_per_million: 0.201 });
  });

  it("refuses bad routes and price units, naming the file and field", () => {
    const result = compileGateway(`
providers:
  - name: cf
    type: workers_ai
    config:
      api_key: nope
      ai_gateway_id: ""
  - name: both
    type: openai
    config:
      api_key: k
      base_url: https://api.openai.com/v1
      ai_gateway: https://gateway.ai.cloudflare.com/v1/a/g
  - name: relative
    type: anthropic
    config:
      api_key: k
      ai_gateway: gateway.ai.cloudflare.com/v1/a/g
      ai_gateway_provider: Anthropic!
  - name: stray
    type: openai
    config:
      api_key: k
      base_url: https://api.openai.com/v1
      ai_gateway_token: t
  - name: typo
    type: workersai
model_groups:
  - name: g
    models: ["cf/@cf/meta/llama-3.1-8b-instruct", "both/gpt-4o"]
    pricing:
      - model: "@cf/meta/llama-3.1-8b-instruct"
        input_neurons_per_million: 25608
      - model: gpt-4o
        input_neurons_per_million: 1
        output_neurons_per_million: 2
        input_per_million: 2.5
`);
    expect(result.ok).toBe(false);
    expect(errorsOf(result).sort()).toEqual(
      [
        'gateway.yaml: providers[0].config.api_key: provider "cf": a workers_ai provider runs models through the gateway\'s AI binding and takes no "api_key" (the only config key is ai_gateway_id)',
        'gateway.yaml: providers[0].config.ai_gateway_id: provider "cf": ai_gateway_id is empty (the AI Gateway\'s name, or leave it out)',
        'gateway.yaml: providers[1].config.base_url: provider "both": base_url and ai_gateway both set; with ai_gateway the provider is reached through AI Gateway, so leave base_url out',
        'gateway.yaml: providers[2].config.ai_gateway: provider "relative": ai_gateway must be the AI Gateway\'s URL, https://gateway.ai.cloudflare.com/v1/<account_id>/<gateway_id>',
        'gateway.yaml: providers[2].config.ai_gateway_provider: provider "relative": ai_gateway_provider must be AI Gateway\'s provider name (a lower-case word such as openai, groq or compat), got "Anthropic!"',
        'gateway.yaml: providers[3].config.ai_gateway_token: provider "stray": ai_gateway_token needs ai_gateway (the AI Gateway\'s URL)',
        'gateway.yaml: providers[4].config: provider "typo": missing api_key',
        'gateway.yaml: providers[4].type: provider "typo": unknown provider type "workersai"',
        "gateway.yaml: model_groups[0].pricing[0].output_neurons_per_million: pricing entry needs output_neurons_per_million",
        'gateway.yaml: model_groups[0].pricing[1].input_per_million: pricing entry for "gpt-4o" is in neurons; input_per_million cannot be given too (give one unit)',
        'gateway.yaml: model_groups[0].pricing[1].input_neurons_per_million: pricing model "gpt-4o": neuron rates price Workers AI models only; its provider is of type "openai" (use input_per_million/output_per_million)',
      ].sort(),
    );
  });

  it("refuses a negative neuron rate", () => {
    const result = compileGateway(`
providers:
  - name: cf
    type: workers_ai
model_groups:
  - name: g
    models: ["cf/@cf/meta/llama-3.1-8b-instruct"]
    pricing:
      - model: "@cf/meta/llama-3.1-8b-instruct"
        input_neurons_per_million: -1
        output_neurons_per_million: 75147
`);
    expect(errorsOf(result)).toEqual(["gateway.yaml: model_groups[0].pricing[0].input_neurons_per_million: input_neurons_per_million must not be negative"]);
  });
});
