// How /mcp shows a workflow's output to an MCP client: its own content blocks when the output
// lists valid ones, its JSON text otherwise (workers/orchestrator/src/mcp/output-content.ts).
import { describe, expect, it } from "vitest";
import { outputContent } from "../../workers/orchestrator/src/mcp/output-content.ts";

describe("outputContent", () => {
  it("takes an output's content blocks as they are, in order", () => {
    const content = [
      { type: "text", text: "a chart:" },
      { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
      { type: "audio", data: "UklGRg==", mimeType: "audio/wav" },
      { type: "resource", resource: { uri: "test://r", mimeType: "text/plain", text: "body" } },
      { type: "resource_link", uri: "test://l", name: "l" },
    ];
    expect(outputContent({ content, other: 1 })).toEqual(content);
  });

  it("keeps the JSON text (null) for any other output, or when one listed block is not an MCP content block", () => {
    expect(outputContent({ greeting: "hi" })).toBeNull();
    expect(outputContent({ content: "just text" })).toBeNull();
    expect(outputContent({ content: [] })).toBeNull();
    expect(
      outputContent({
        content: [
          { type: "text", text: "ok" },
          { type: "image", data: "x" },
        ],
      }),
    ).toBeNull();
    expect(outputContent({ content: [{ type: "video", data: "x", mimeType: "video/mp4" }] })).toBeNull();
    expect(outputContent({ content: [{ kind: "text" }] })).toBeNull();
  });
});
