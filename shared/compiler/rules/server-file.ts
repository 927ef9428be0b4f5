// Rules for tool-server files and the entries of servers.yaml.

import type { ServerFile } from "../../config/types.ts";
import { isBroken } from "../decode.ts";
import type { FieldPath, FileIssues } from "../diagnostics.ts";
import { wholeParamRef } from "../expressions.ts";
import type { Project } from "../load-project.ts";
import { parsed } from "./common.ts";

export function checkServers(project: Project): void {
  for (const file of parsed(project.servers.values())) checkServer(file.data, [], file.issues);
  const manifest = project.manifest;
  manifest?.data?.servers?.forEach((server, i) => {
    if (!isBroken(server)) checkServer(server, ["servers", i], manifest.issues);
  });
}

function checkServer(server: ServerFile, path: FieldPath, issues: FileIssues): void {
  if (server.url === undefined || server.url.trim() === "") issues.error([...path, "url"], "server has no url");

  const auth = server.auth;
  if (auth) {
    if (auth.secret === undefined || auth.secret === "") {
      issues.error([...path, "auth", "secret"], "auth.secret is required");
    } else if (auth.secret.includes("{{") && wholeParamRef(auth.secret) === undefined) {
      issues.error([...path, "auth", "secret"], `auth.secret: unsupported template "${auth.secret}" — only {{ params.KEY }} is supported`);
    }
  }
}
