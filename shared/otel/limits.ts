/** A step keeps at most this many LLM and tool call records (the first ones): its record stays bounded. */
export const MAX_RECORDED_CALLS = 500;
