// The Workers RPC methods the orchestrator and the runtime call on each other over their service
// bindings, next to the HTTP routes that stay for direct callers. An RPC call carries its payload
// as a structured clone: no JSON text, no schema parse. The payloads are the HTTP contract's types
// (runtime.ts), built by the other Worker of this deploy, so the types are the check at the boundary.
import type { CallbackPayload, CheckpointPayload, HeartbeatPayload, InvokeRequest } from "./runtime.ts";

/** How the runtime answered a dispatch: `status` as the HTTP route's (202 accepted, 400 refused). */
export interface InvokeAnswer {
  status: number;
  message?: string;
}

/** The runtime's `RuntimeRpc` entrypoint, as the orchestrator's RUNTIME binding reaches it. */
export interface RuntimeRpc {
  /** As `POST /invoke`: the step is handed to its host; answered once the host has accepted it. */
  invoke(request: InvokeRequest): Promise<InvokeAnswer>;
  /**
   * `invoke` for several steps at once (a fanout's items), one call per host they name: answered
   * once every host has accepted its steps, an answer per request in the same order.
   */
  invokeMany(requests: InvokeRequest[]): Promise<InvokeAnswer[]>;
}

export interface CompleteOptions {
  /** The reporting host can run another item of the same fanout at once. */
  take_next?: boolean;
}

/** One result of a `completeMany` call: the step (or fanout item) it is for. */
export interface StepResult {
  step_id: string;
  payload: CallbackPayload;
}

export interface CompleteManyOptions {
  /** How many items of the same fanout the reporting host can take now (0: none). */
  take_next?: number;
  /**
   * The host can keep a handed item waiting behind one of its running items (the answer's
   * `placements` say which): while a fanout has more work than slots, a slot's next item is then on
   * the host before its running item ends. Without it, every handed item runs at once, one per result.
   */
  queue?: boolean;
}

/** Where a handed fanout item goes on the reporting host. */
export interface ItemPlacement {
  /** The reported step whose slot the item takes. */
  for_step: string;
  /**
   * Set: the item waits on the host until this step (running in the same slot) has its result, and
   * starts then, before that result is reported. A step that no longer runs there: it starts at once.
   */
  after_step?: string;
}

export interface CompleteAnswer {
  /**
   * Fanout items the orchestrator committed as running on the reporting host (each request's
   * `host_key` names that host): the host starts them as if they had been dispatched to it.
   */
  next: InvokeRequest[];
  /**
   * Answered to a host that asked `queue`: where each item of `next` goes, in the same order.
   * Absent: the items run at once, one to each result that asked for one, in order.
   */
  placements?: ItemPlacement[];
}

/** The orchestrator's `RuntimeApi` entrypoint, as the runtime's ORCHESTRATOR binding reaches it. */
export interface OrchestratorRpc {
  /**
   * As `POST /runs/{run}/steps/{step}/complete`. Throws when the result could not be applied (sent
   * again). With `take_next`, the answer may carry the next fanout items for the reporting host.
   */
  complete(runId: string, stepId: string, payload: CallbackPayload, options?: CompleteOptions): Promise<CompleteAnswer>;
  /**
   * Several results of one run's steps from one host, applied together (one storage commit). With
   * `take_next`, the answer may carry up to that many next fanout items for the reporting host.
   */
  completeMany(runId: string, results: StepResult[], options?: CompleteManyOptions): Promise<CompleteAnswer>;
  /** As `POST /runs/{run}/steps/{step}/checkpoint`: `current` false is the route's 409 (a superseded attempt). */
  checkpoint(runId: string, stepId: string, payload: CheckpointPayload): Promise<{ current: boolean }>;
  /** As `POST /heartbeat`. */
  heartbeat(payload: HeartbeatPayload): Promise<void>;
}
