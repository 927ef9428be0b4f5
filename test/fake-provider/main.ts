// CLI: node test/fake-provider/main.ts [--port 5099] [--host 127.0.0.1]
// Runs the fake LLM provider until SIGINT/SIGTERM (used by `npm start` offline).

import { parseArgs } from "node:util";
import { startFakeProvider } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "5099" },
    host: { type: "string", default: "127.0.0.1" },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port: ${values.port}`);
  process.exit(2);
}

const provider = await startFakeProvider({ port, host: values.host });
console.log(`fake provider listening on ${provider.url}`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await provider.close();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
