/** Per-step usage, as step records and the envelope show it. */
export interface StepMetrics {
  duration_ms: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  llm_calls: number;
  tool_calls: number;
  reflected?: boolean;
  reflect_calls?: number;
}
