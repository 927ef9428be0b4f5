// The original CLI's `ktsu start` surface on the one local stack: its three
// services run here as Workers in a single workerd, so `ktsu start
// orchestrator|runtime|gateway` each start that whole stack (`--all`), and the
// flags that placed the services apart are accepted with a note that they have
// no effect, instead of being refused as unknown.
import { type Command, Option } from "commander";

/** The original's flags that mean nothing here, and why (shown in --help and when one is given). */
const NO_EFFECT: Record<string, { value: string; why: string }> = {
  "own-url": { value: "url", why: "the Workers call each other through service bindings, not URLs" },
  "store-type": { value: "type", why: "the store is D1 (persisted under --state-dir), or Postgres with --store-url" },
  "db-path": { value: "path", why: "D1 persists under --state-dir (default <project>/.ktsu)" },
  "runtime-url": { value: "url", why: "the runtime is a service binding of the orchestrator" },
  "gateway-url": { value: "url", why: "the gateway is a service binding of the orchestrator and runtime" },
  "runtime-host": { value: "host", why: "the runtime has no port of its own; only the orchestrator listens" },
  "runtime-port": { value: "port", why: "the runtime has no port of its own; only the orchestrator listens" },
  "gateway-host": { value: "host", why: "the gateway has no port of its own; only the orchestrator listens" },
  "gateway-port": { value: "port", why: "the gateway has no port of its own; only the orchestrator listens" },
  orchestrator: { value: "url", why: "the runtime reaches the orchestrator through a service binding" },
  gateway: { value: "url", why: "the runtime reaches the gateway through a service binding" },
};

/** Adds the named no-effect flags to a command and warns about each one given. */
function acceptWithoutEffect(command: Command, names: string[], context: string): Command {
  for (const name of names) {
    const { value, why } = NO_EFFECT[name]!;
    command.addOption(new Option(`--${name} <${value}>`, `the original's; no effect here: ${why}`));
  }
  command.hook("preAction", (_root, action) => {
    // Ancestors' hooks run for subcommands too: each command speaks for its own flags only.
    if (action !== command) return;
    const given = action.opts() as Record<string, unknown>;
    for (const name of names) {
      const key = name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (given[key] !== undefined) process.stderr.write(`ktsu ${context}: --${name} has no effect here: ${NO_EFFECT[name]!.why}\n`);
    }
  });
  return command;
}

/** `ktsu start`'s own flags from the original that have no counterpart here. */
export function originalStartFlags(start: Command): void {
  acceptWithoutEffect(start, ["own-url", "store-type", "db-path", "runtime-host", "runtime-port", "gateway-host", "gateway-port"], "start");
}

interface AliasFlags {
  env?: string;
  workflowDir?: string;
  projectDir?: string;
  host?: string;
  port?: string;
  config?: string;
  workspace?: string[];
  hubLock?: boolean;
  watch?: boolean;
}

/** The `ktsu start --all` arguments an alias's flags stand for. */
export function startArgs(service: string, flags: AliasFlags): string[] {
  const args = ["--all"];
  const pass = (flag: string, value: string | undefined) => {
    if (value !== undefined) args.push(flag, value);
  };
  pass("--env", flags.env);
  pass("--workflow-dir", flags.workflowDir);
  pass("--project-dir", flags.projectDir);
  pass("--gateway-config", flags.config);
  // Only the orchestrator listens: the other services' --host/--port would name ports that do not exist.
  if (service === "orchestrator") {
    pass("--host", flags.host);
    pass("--port", flags.port);
  }
  for (const dir of flags.workspace ?? []) args.push("--workspace", dir);
  if (flags.hubLock === false) args.push("--no-hub-lock");
  if (flags.watch) args.push("--watch");
  return args;
}

/** `ktsu start orchestrator|runtime|gateway`, each with the original's flags, each starting the whole stack. */
export function registerStartAliases(start: Command): void {
  // Flags after `orchestrator` belong to it, not to `start` (commander lets a parent take them by default);
  // a subcommand's positional options need its parent's enabled as well.
  start.parent?.enablePositionalOptions();
  start.enablePositionalOptions();
  const aliases: Record<string, (command: Command) => void> = {
    orchestrator: (c) => {
      c.option("--env <file>", "env file whose variables are injected")
        .option("--workflow-dir <dir>", "workflow directory (default: <project>/workflows)")
        .option("--project-dir <dir>", "project directory (default: KTSU_PROJECT_DIR or .)")
        .option("--host <host>", "address to listen on (default: KTSU_ORCHESTRATOR_HOST or 127.0.0.1)")
        .option("--port <port>", "port (default: KTSU_ORCHESTRATOR_PORT or 5050)")
        .option("--workspace <dir>", "also serve the workflows of another project dir (repeatable)", (dir: string, all: string[] = []) => [...all, dir])
        .option("--no-hub-lock", "do not load the workspaces listed in <project>/ktsuhub.lock.yaml");
      acceptWithoutEffect(c, ["runtime-url", "gateway-url", "own-url", "store-type", "db-path"], "start orchestrator");
    },
    runtime: (c) => acceptWithoutEffect(c.option("--host <host>", "ignored").option("--port <port>", "ignored"), ["orchestrator", "gateway"], "start runtime"),
    gateway: (c) => {
      c.option("--config <file>", "gateway config (default: <project>/gateway.yaml)").option("--host <host>", "ignored").option("--port <port>", "ignored");
    },
  };
  for (const [service, configure] of Object.entries(aliases)) {
    const command = start.command(service).description(`the original's start ${service}: starts the whole local stack (= ktsu start --all)`);
    configure(command);
    // Each alias starts the whole stack, so the dev loop applies to all three alike.
    command.option("--watch", "rebuild and reload when the project's files change (as ktsu start --watch)");
    command.action(async (flags: AliasFlags) => {
      process.stderr.write(`ktsu start ${service}: orchestrator, runtime and gateway run together in one local workerd here; starting all of them\n`);
      if (service !== "orchestrator" && (flags.host !== undefined || flags.port !== undefined)) {
        process.stderr.write(`ktsu start ${service}: --host/--port are ignored: only the orchestrator listens (see ktsu start --help)\n`);
      }
      await start.parseAsync(startArgs(service, flags), { from: "user" });
    });
  }
}
