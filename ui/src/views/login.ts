// The token prompt: shown when the API answers 401 (KTSU_ADMIN_TOKEN is set).
import { useState } from "preact/hooks";
import { getToken, setToken } from "../auth.ts";
import { html } from "../html.ts";

export function Login() {
  const [value, setValue] = useState("");
  const hadToken = getToken() !== null;
  const submit = (e: Event) => {
    e.preventDefault();
    setToken(value.trim());
  };
  return html`<div class="overlay">
    <form class="login" data-testid="login" onSubmit=${submit}>
      <h2>Admin token</h2>
      <p>${hadToken ? "The orchestrator refused the token. Enter it again." : "This orchestrator requires its admin token (KTSU_ADMIN_TOKEN)."}</p>
      <p class="muted">It is kept in this browser tab only (sessionStorage).</p>
      <input
        type="password"
        name="token"
        autocomplete="current-password"
        placeholder="token"
        value=${value}
        onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
        autofocus
      />
      <button type="submit" disabled=${value.trim() === ""}>Sign in</button>
    </form>
  </div>`;
}
