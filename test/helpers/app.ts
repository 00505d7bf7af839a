import { createEngine } from '../../src/engine.js';
import { buildApp, type AppOptions } from '../../src/server/app.js';
import { issueApiKey } from '../../src/server/apiKeys.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Scope } from '../../src/core/scopes.js';
import type { ConfigInput } from '../../src/config.js';
import type { EngineDeps } from '../../src/engine.js';

/**
 * An in-memory engine and its app, on a manual clock (2026-03-01T12:00Z). Authentication is
 * off (the tests of routes are about routes) unless the config sets keys or `auth` says so;
 * test/server/auth.test.ts covers access control.
 */
export async function testApp(config: ConfigInput = {}, options: Pick<AppOptions, 'auth' | 'logger' | 'now'> = {}, deps: Pick<EngineDeps, 'newDecisionId'> = {}) {
  const clock = new ManualClock('2026-03-01T12:00:00Z');
  const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, ...config }, { clock, ...deps });
  const secured = (config.server?.apiKeys?.length ?? 0) > 0 || config.server?.jwt !== undefined;
  const app = buildApp(engine, { logger: false, auth: { mode: secured ? 'keys' : 'none' }, ...options });
  await app.ready();
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  /** Issues a key with these scopes (expiring at `expiresAt`, epoch ms) and returns its Authorization header. */
  const keyFor = async (scopes: Scope[], expiresAt: number | null = null) => {
    const { key, record } = await issueApiKey(engine.apiKeys, { name: `test-${scopes.join('+')}`, scopes, expiresAt }, { now: Date.now() });
    return { authorization: `Bearer ${key}`, id: record.id, key };
  };
  return { engine, app, clock, post, keyFor, close: async () => { await app.close(); await engine.close(); } };
}
