import type { TestProject } from "vitest/node";
import { startHttpSink } from "../../support/http-sink.ts";

/** A loopback webhook receiver for the whole run; tests read what it got at `<sinkUrl>/__calls`. */
export default async function setup(project: TestProject) {
  const sink = await startHttpSink();
  project.provide("sinkUrl", sink.url);
  return () => sink.close();
}
