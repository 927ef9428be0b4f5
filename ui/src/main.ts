// The web run viewer of ktsu-workers (docs/ui.md), served by the orchestrator at /ui.
import { render } from "preact";
import { html } from "./html.ts";
import { App } from "./views/app.ts";

render(html`<${App} />`, document.getElementById("app")!);
