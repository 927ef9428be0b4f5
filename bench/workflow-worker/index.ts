// The comparison side of bench/orchestration.ts: the same pipelines as Cloudflare
// Workflows (one `step.do` per step), run in the same local workerd as our stack.
import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";

interface Params {
  shape: "chain" | "diamond";
  steps: number;
}

interface Env {
  BENCH_FLOW: Workflow<Params>;
}

export class BenchFlow extends WorkflowEntrypoint<Env, Params> {
  override async run(event: WorkflowEvent<Params>, step: WorkflowStep): Promise<unknown> {
    const { shape, steps } = event.payload;
    if (shape === "chain") {
      // Each step outputs {result: <previous output>}, as the transform chain does.
      type Nested = { n?: number; result?: Nested };
      let value: Nested = { n: 0 };
      for (let i = 0; i < steps; i++) {
        const previous = value;
        value = (await step.do(`s${i}`, async () => ({ result: previous }) as Rpc.Serializable<Nested>)) as Nested;
      }
      return value as Rpc.Serializable<Nested>;
    }
    // Diamond: one root, `steps` parallel middles, one join.
    const root = await step.do("root", async () => ({ n: 1 }));
    const middles = await Promise.all(Array.from({ length: steps }, (_, i) => step.do(`m${i}`, async () => ({ result: root.n }))));
    return step.do("join", async () => ({ count: middles.length }));
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/start") {
      const params = (await request.json()) as Params;
      const instance = await env.BENCH_FLOW.create({ params });
      return Response.json({ id: instance.id });
    }
    if (url.pathname === "/status") {
      const instance = await env.BENCH_FLOW.get(url.searchParams.get("id")!);
      return Response.json(await instance.status());
    }
    return new Response("not found", { status: 404 });
  },
} satisfies ExportedHandler<Env>;
