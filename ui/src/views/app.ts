// The shell: navigation, the page for the current hash route, and the token prompt.
import { useEffect, useState } from "preact/hooks";
import { listApprovals } from "../api.ts";
import { clearToken, getToken, isLoginNeeded, onAuthChange } from "../auth.ts";
import { useAuthEpoch, usePolled } from "../hooks.ts";
import { html } from "../html.ts";
import { parseRoute, type Route } from "../route.ts";
import { Approvals } from "./approvals.ts";
import { Login } from "./login.ts";
import { RunPage } from "./run-page.ts";
import { RunsList } from "./runs-list.ts";

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}

function useLoginNeeded(): boolean {
  const [needed, setNeeded] = useState(isLoginNeeded());
  useEffect(() => onAuthChange(() => setNeeded(isLoginNeeded())), []);
  return needed;
}

export function App() {
  const route = useRoute();
  const loginNeeded = useLoginNeeded();
  useAuthEpoch(); // re-render when the token is set or forgotten
  const approvals = usePolled(listApprovals, 5000, [route]);
  const waiting = approvals.data?.length ?? 0;
  return html`
    <header class="top">
      <a class="brand" href="#/runs">ktsu</a>
      <nav>
        <a href="#/runs" class=${route.page === "runs" || route.page === "run" ? "active" : ""}>Runs</a>
        <a href="#/approvals" data-testid="nav-approvals" class=${route.page === "approvals" ? "active" : ""}>
          Approvals${waiting > 0 ? html` <span class="count" data-testid="approval-count">${waiting}</span>` : null}
        </a>
      </nav>
      ${getToken() !== null ? html`<button class="link" onClick=${clearToken}>Forget token</button>` : null}
    </header>
    <main>${page(route)}</main>
    ${loginNeeded ? html`<${Login} />` : null}
  `;
}

function page(route: Route) {
  switch (route.page) {
    case "runs":
      return html`<${RunsList} workflow=${route.workflow} status=${route.status} />`;
    case "run":
      // Keyed by run: another run is another page, with none of the previous one's state.
      return html`<${RunPage} key=${route.id} id=${route.id} step=${route.step} />`;
    case "approvals":
      return html`<${Approvals} />`;
    case "not_found":
      return html`<p>Nothing here. <a href="#/runs">Back to the runs.</a></p>`;
  }
}
