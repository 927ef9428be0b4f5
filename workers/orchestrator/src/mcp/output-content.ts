import { type ContentBlock, ContentBlockSchema } from "@modelcontextprotocol/sdk/types.js";

/**
 * The MCP content blocks a workflow's output asks to be shown as. A workflow cannot build an
 * MCP result itself, so an output whose `content` field is a non-empty list of MCP content
 * blocks (text, image, audio, an embedded resource, a resource link; each as the MCP schema
 * defines it) is shown to the client as those blocks, in order, instead of the output's JSON
 * text. Any other output, or a `content` with one block the schema refuses, keeps the JSON
 * text: a field that merely shares the name is never half-read. The structured content is the
 * whole output either way.
 */
export function outputContent(output: Record<string, unknown>): ContentBlock[] | null {
  const listed = output.content;
  if (!Array.isArray(listed) || listed.length === 0) return null;
  const blocks: ContentBlock[] = [];
  for (const item of listed) {
    const block = ContentBlockSchema.safeParse(item);
    if (!block.success) return null;
    blocks.push(block.data);
  }
  return blocks;
}
