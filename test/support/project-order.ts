/**
 * The order in which `npm test` runs the vitest projects (`sequence.groupOrder`): one at a time,
 * lowest first. Each workerd or stack project starts its own workerd (several, for the reliability
 * suite); side by side on a two-core machine they starve each other's startup and heartbeats, and a
 * second clone running `npm test` at the same time doubles that. One at a time, each project gets
 * the share of the machine its timeouts were set for.
 */
export const GROUP = { unit: 0, orchestrator: 1, runtime: 2, gateway: 3, stack: 4, reliability: 5, deploy: 6, replay: 7, examples: 8 } as const;
