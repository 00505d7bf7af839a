/**
 * Who is using the console: the API key they logged in with (kept in sessionStorage, sent
 * as a bearer token) and the scopes the server says it carries. Edit buttons ask `can`,
 * so a read-only key never sees a button the server would refuse.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, SESSION_ENDED, storedKey, storeKey } from './api';

/** What `GET /v1/auth/whoami` answers. */
export interface WhoAmI {
  id: string;
  kind: string;
  scopes: string[];
}

export interface Session {
  who: WhoAmI;
  /** True when the key may use a route needing `scope` (admin may use every route). */
  can: (scope: string) => boolean;
  logOut: () => void;
}

const SessionContext = createContext<Session | null>(null);

/** The logged-in session; pages render only inside one. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in console');
  return s;
}

/** True when `scopes` grant `scope`: held directly, or through admin. */
export function grants(scopes: readonly string[], scope: string): boolean {
  return scopes.includes('admin') || scopes.includes(scope);
}

/** Shows the login form until a key checks out, then the children with a session. */
export function SessionGate({ children }: { children: ReactNode }) {
  const [who, setWho] = useState<WhoAmI | null>(null);
  const [checking, setChecking] = useState<boolean>(() => storedKey() !== null);
  const [error, setError] = useState<string | null>(null);

  const check = useCallback(async (key: string) => {
    setChecking(true);
    setError(null);
    try {
      const w = await api<WhoAmI>('/v1/auth/whoami', { key });
      storeKey(key);
      setWho(w);
    } catch (e) {
      storeKey(null);
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    const key = storedKey();
    if (key) void check(key);
  }, [check]);

  useEffect(() => {
    const ended = () => {
      setWho(null);
      setError('the server no longer accepts this key (revoked or expired): log in again');
    };
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, []);

  if (who) {
    const session: Session = { who, can: (s) => grants(who.scopes, s), logOut: () => { storeKey(null); setWho(null); } };
    return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
  }
  return <LoginForm busy={checking} error={error} onSubmit={check} />;
}

/** The API key form: the key never leaves this tab except as the Authorization header. */
export function LoginForm({ busy, error, onSubmit }: { busy: boolean; error: string | null; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState('');
  return (
    <main className="login">
      <h1>nextbest console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Log in'}
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </form>
      <p className="hint">The key is kept in this tab only (sessionStorage) and sent as a bearer token to the API.</p>
    </main>
  );
}
