// `ktsu deploy --store-url postgres://…`: the Store in Postgres through Hyperdrive. The
// deployment's Hyperdrive config is created once (named after the project and environment)
// and recorded in ktsu-deploy.json by its id; the orchestrator binds it as HYPERDRIVE; the
// Postgres migrations are applied from here, with the same connection string, before any
// Worker is uploaded (as the D1 ones are).

import type { DeployNames } from "./names.ts";
import { readState, recordEnvironment } from "./state.ts";
import { wranglerOk } from "./wrangler-cli.ts";

/** Shown where no Hyperdrive config exists yet (a dry run before the first upload). */
export const UNCREATED_HYPERDRIVE_ID = "00000000000000000000000000000000";

/**
 * Creates the Hyperdrive config `name` for the database `storeUrl` names; returns its id.
 * wrangler sends the connection string's parts to the Cloudflare API, which keeps the password.
 */
export async function createHyperdrive(name: string, storeUrl: string): Promise<string> {
  const password = decodeURIComponent(new URL(storeUrl).password);
  const { stdout } = await wranglerOk(["hyperdrive", "create", name, `--connection-string=${storeUrl}`, "--no-update-config"]).catch((error: unknown) => {
    // wrangler's complaint may quote the connection string: never pass its password on.
    throw new Error(password ? String((error as Error).message).replaceAll(password, "***") : (error as Error).message);
  });
  const id = /Created new Hyperdrive \w+ config: ([0-9a-f]{32})/i.exec(stdout)?.[1];
  if (!id) throw new Error(`wrangler hyperdrive create ${name} did not say the new config's id`);
  return id;
}

/** The orchestrator's Hyperdrive binding, in wrangler config form. */
export function hyperdriveBinding(id: string): { binding: string; id: string } {
  return { binding: "HYPERDRIVE", id };
}

/**
 * The Hyperdrive config id the orchestrator binds: `--hyperdrive-id`, else the one recorded for
 * the environment, else (uploads only) a new one, which is recorded. A dry run without either
 * shows the placeholder.
 */
export async function storeHyperdriveId(
  projectDir: string,
  names: DeployNames,
  options: { storeUrl: string; hyperdriveId?: string; upload: boolean },
  say: (text: string) => void,
): Promise<string> {
  const recorded = readState(projectDir).environments[names.environment];
  let id = options.hyperdriveId ?? recorded?.hyperdrive?.id;
  if (!options.upload) return id ?? UNCREATED_HYPERDRIVE_ID;
  if (id === undefined) {
    id = await createHyperdrive(names.hyperdrive, options.storeUrl);
    say(`Hyperdrive config ${names.hyperdrive}: ${id} (created)`);
  } else say(`Hyperdrive config: ${id} (${options.hyperdriveId ? "--hyperdrive-id" : "recorded"})`);
  if (recorded && recorded.hyperdrive?.id !== id) {
    await recordEnvironment(projectDir, names.environment, { ...recorded, hyperdrive: { name: options.hyperdriveId ? "(given)" : names.hyperdrive, id } });
  }
  return id;
}
