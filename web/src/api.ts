/**
 * The console's only way to the engine: the HTTP API, with the key the user logged in
 * with sent as a bearer token. Errors come back as the API's error body (code, message,
 * and for 422 the field and rule of each issue) so pages can show them where they belong.
 */

/** One broken rule, as the API names it in a 422. */
export interface FieldIssue {
  field: string;
  rule: string;
  message: string;
}

/** An API error with its status and stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const KEY_STORE = 'nextbest.apiKey';
/** Fired on window when the server stops accepting the session's key. */
export const SESSION_ENDED = 'nextbest:session-ended';

/** The key of this browser tab's session (sessionStorage: gone when the tab closes). */
export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORE);
}

/** Keeps (or with null, forgets) the key for this tab. */
export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORE);
  else sessionStorage.setItem(KEY_STORE, key);
}

/** Reads the issues out of an error body however the server nested them. */
export function issuesOf(body: unknown): FieldIssue[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  const inner = (b.error && typeof b.error === 'object' ? b.error : b) as Record<string, unknown>;
  const details = (inner.details && typeof inner.details === 'object' ? inner.details : inner) as Record<string, unknown>;
  const list = Array.isArray(details.issues) ? details.issues : Array.isArray(inner.issues) ? inner.issues : [];
  return list.filter((i): i is FieldIssue => !!i && typeof i === 'object' && typeof (i as FieldIssue).message === 'string');
}

function errorOf(status: number, body: unknown): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const inner = (b.error && typeof b.error === 'object' ? b.error : b) as Record<string, unknown>;
  const code = typeof inner.code === 'string' ? inner.code : `HTTP_${status}`;
  const message = typeof inner.message === 'string' ? inner.message : `request failed with status ${status}`;
  const details = (inner.details && typeof inner.details === 'object' ? inner.details : {}) as Record<string, unknown>;
  return new ApiError(status, code, message, issuesOf(body), details);
}

/** Calls the API; resolves with the parsed JSON (or text for non-JSON answers), rejects with ApiError. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string>; key?: string | null } = {}): Promise<T> {
  const key = init.key === undefined ? storedKey() : init.key;
  const headers: Record<string, string> = { accept: 'application/json', ...(init.headers ?? {}) };
  if (key) headers.authorization = `Bearer ${key}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method: init.method ?? 'GET', headers, ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}) });
  const type = res.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    // The key was revoked or expired mid-session: forget it and go back to the login form.
    if (res.status === 401 && key && init.key === undefined) {
      storeKey(null);
      window.dispatchEvent(new Event(SESSION_ENDED));
    }
    throw errorOf(res.status, body);
  }
  return body as T;
}

/** Encodes one path segment (customer and decision ids are opaque strings). */
export const seg = (s: string) => encodeURIComponent(s);
