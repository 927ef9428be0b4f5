// `npm run build:ui`: the web run viewer → dist/assets/ui/ (served by the orchestrator at /ui).
import { buildUi } from "../ui/build.ts";

const build = await buildUi();
const sizes = Object.entries(build.files)
  .filter(([name]) => !name.endsWith(".map"))
  .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(1)} KiB`)
  .join(", ");
console.log(`built the UI into dist/assets/ui in ${build.ms} ms: ${sizes}`);
