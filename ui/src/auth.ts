// The admin token (KTSU_ADMIN_TOKEN) the user typed, kept for this browser tab only.

const KEY = "ktsu.admin-token";
type Listener = () => void;
const listeners = new Set<Listener>();
let loginNeeded = false;

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
  loginNeeded = false;
  notify();
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
  notify();
}

/** An API call was refused with 401: the app shows the token prompt. */
export function requireLogin(): void {
  if (loginNeeded) return;
  loginNeeded = true;
  notify();
}

export function isLoginNeeded(): boolean {
  return loginNeeded;
}

export function onAuthChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify(): void {
  for (const listener of listeners) listener();
}
