import { createEngine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { ManualClock } from '../../src/core/clock.js';
import type { ConfigInput } from '../../src/config.js';

/** An in-memory engine and its app, on a manual clock (2026-03-01T12:00Z). */
export async function testApp(config: ConfigInput = {}) {
  const clock = new ManualClock('2026-03-01T12:00:00Z');
  const engine = await createEngine({ store: 'memory', log: { level: 'silent' }, ...config }, { clock });
  const app = buildApp(engine, { logger: false });
  await app.ready();
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { engine, app, clock, post, close: async () => { await app.close(); await engine.close(); } };
}
