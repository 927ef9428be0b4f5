// Everything the gateway prints during a test file, for the credential scan.
const methods = ["log", "info", "warn", "error", "debug"] as const;
const captured: string[] = [];
(globalThis as { __gatewayConsole?: string[] }).__gatewayConsole = captured;

for (const method of methods) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    captured.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack ?? ""}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    original(...args);
  };
}
