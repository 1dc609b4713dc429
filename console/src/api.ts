// The console's HTTP client: same-origin fetch with the session cookie, the CSRF header on every
// state-changing request, and the service's error shape turned into ApiError.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

let onSignedOut: (() => void) | null = null;
/** Called when the server answers 401 to a signed-in request: the session ended. */
export function setSignedOutHandler(fn: (() => void) | null) {
  onSignedOut = fn;
}

function cookieCsrf(): string {
  const m = /(?:^|;\s*)hookrelay_csrf=([^;]*)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]) : '';
}

/**
 * The CSRF token of the session this tab works in: taken when the tab loads the session (and the
 * org it shows), signs in or switches org itself. Read from the cookie on every request, a tab
 * left showing one org acted in the org another tab had switched the session to (a Replay All
 * confirmed in Primary replayed another org's dead letters; console fuzzing, 2026-12-07). Now the
 * server refuses such a request (403 CSRF) and the tab says why.
 */
let sessionCsrf: string | null = null;

function csrfToken(): string {
  sessionCsrf ??= cookieCsrf();
  return sessionCsrf;
}

/** The session's paths whose answers carry the new session's CSRF token, or end it. */
const SESSION_PATHS = new Set(['/api/v1/session', '/api/v1/session/org']);

export async function api<T = any>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken();
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `Could not reach the service (${(err as Error).message}). Check your connection and try again.`);
  }
  if (res.status === 204) {
    if (SESSION_PATHS.has(path) && method === 'DELETE') sessionCsrf = null;
    return undefined as T;
  }
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = json?.error;
    if (res.status === 403 && e?.code === 'CSRF' && sessionCsrf !== cookieCsrf()) {
      throw new ApiError(403, 'SESSION_CHANGED', 'The session changed in another tab (an org switch or a new sign-in), so nothing was done here. Reload the page to continue in the session as it is now.');
    }
    const err = new ApiError(res.status, e?.code ?? 'HTTP_' + res.status, e?.message ?? `The service answered ${res.status} ${res.statusText}`, e?.field);
    if (res.status === 401) sessionCsrf = null;
    if (res.status === 401 && !opts.quiet401) onSignedOut?.();
    throw err;
  }
  // The session as this tab shows it: loaded (its org with it), signed in, or switched here.
  if (path === '/api/v1/session' && method === 'GET') sessionCsrf = cookieCsrf();
  else if (SESSION_PATHS.has(path)) sessionCsrf = json?.csrf_token ?? null;
  return json as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown) => api<T>('POST', path, body);

export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
