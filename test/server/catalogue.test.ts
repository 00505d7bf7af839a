import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { createEngine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { ManualClock } from '../../src/core/clock.js';
import { testApp } from '../helpers/app.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
const json = { 'content-type': 'application/json' };
const richerSaver = { name: 'Easy saver', family: 'savings', value: { amountGbp: 5000 }, prior: 0.1, message: { headline: 'Save', body: 'An easy-access saver.' }, treatments: { push: {}, email: {}, in_app: {} } };

/** An engine on a SQLite data dir and its app; warnings and worse are kept in `logs`. */
async function openOn(dataDir: string, yaml = catalogue) {
  const logs: { event?: string; msg: string }[] = [];
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(JSON.parse(chunk.toString()) as { msg: string }), done()) });
  const engine = await createEngine({ dataDir, decisioning: { catalogue: yaml } }, { clock: new ManualClock('2026-03-01T12:00:00Z'), logger: pino({ level: 'warn' }, sink) });
  const app = buildApp(engine, { logger: false, auth: { mode: 'none' } });
  await app.ready();
  return { engine, app, logs, close: async () => (await app.close(), await engine.close()) };
}

describe('the catalogue over HTTP, stored', () => {
  const open: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) await h.close();
  });

  it('an action edited over HTTP survives a restart, and the next decision uses it and records its version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-catalogue-'));
    const first = await openOn(dir);
    await first.app.inject({ method: 'POST', url: '/v1/customers', headers: json, payload: JSON.stringify({ customers: [{ customerId: 'c1', dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } }] }) });
    const before = (await first.app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ customerId: 'c1', channel: 'in_app' }) })).json();
    expect(before.chosen[0].actionId).toBe('card');
    const put = await first.app.inject({ method: 'PUT', url: '/v1/actions/saver', headers: json, payload: JSON.stringify(richerSaver) });
    expect(put.statusCode).toBe(200);
    const edited = put.json().catalogueVersion as string;
    expect(edited).not.toBe(before.catalogueVersion);
    await first.close();

    const second = await openOn(dir);
    open.push(second);
    expect(second.logs).toEqual([]);
    expect((await second.app.inject({ method: 'GET', url: '/v1/actions/saver' })).json().value.amountGbp).toBe(5000);
    const after = (await second.app.inject({ method: 'POST', url: '/v1/decisions', headers: json, payload: JSON.stringify({ customerId: 'c1', channel: 'email' }) })).json();
    expect(after.catalogueVersion).toBe(edited);
    expect(after.chosen[0].actionId).toBe('saver');
    expect((await second.app.inject({ method: 'GET', url: `/v1/decisions/${after.decisionId}?view=full` })).json().catalogueVersion).toBe(edited);
    // The decision made on the version before the edit still replays identically.
    expect((await second.app.inject({ method: 'POST', url: `/v1/decisions/${before.decisionId}/replay` })).json()).toMatchObject({ identical: true, differences: [] });
    const versions = (await second.app.inject({ method: 'GET', url: '/v1/catalogue/versions' })).json();
    expect(versions.current).toBe(edited);
    expect(versions.versions.map((v: { version: string; source: string; replaces: string | null }) => [v.version, v.source, v.replaces])).toEqual([
      [edited, 'api', before.catalogueVersion],
      [before.catalogueVersion, 'config', null],
    ]);
  });

  it('a start with a changed YAML keeps the stored catalogue and warns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-catalogue-'));
    const first = await openOn(dir);
    const stored = (await first.app.inject({ method: 'GET', url: '/v1/actions' })).json().catalogueVersion as string;
    await first.close();
    const changed = join(dir, 'changed.yaml');
    writeFileSync(changed, readFileSync(catalogue, 'utf8').replace('idle_cash: spare cash', 'idle_cash: cash you are not using'));
    const second = await openOn(dir, changed);
    open.push(second);
    expect((await second.app.inject({ method: 'GET', url: '/v1/actions' })).json().catalogueVersion).toBe(stored);
    expect(second.logs).toEqual([expect.objectContaining({ event: 'catalogue_yaml_not_in_force', inForce: stored })]);
  });

  it('If-Match: an edit based on an older version gets 409 and changes nothing', async () => {
    const h = await testApp({ decisioning: { catalogue } });
    open.push(h);
    const list = await h.app.inject({ method: 'GET', url: '/v1/actions' });
    const etag = list.headers.etag as string;
    expect(etag).toBe(`"${list.json().catalogueVersion}"`);
    const ok = await h.app.inject({ method: 'PUT', url: '/v1/actions/saver', headers: { ...json, 'if-match': etag }, payload: JSON.stringify(richerSaver) });
    expect(ok.statusCode).toBe(200);
    const stale = await h.app.inject({ method: 'DELETE', url: '/v1/actions/card', headers: { 'if-match': etag } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.code).toBe('CONFLICT');
    expect((await h.app.inject({ method: 'PUT', url: '/v1/levers', headers: { ...json, 'if-match': etag }, payload: JSON.stringify({ families: { savings: 9 } }) })).statusCode).toBe(409);
    expect((await h.app.inject({ method: 'GET', url: '/v1/actions/card' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalogue/versions' })).json().versions).toHaveLength(2);
  });

  it('reads and replaces the whole catalogue; old versions stay readable', async () => {
    const h = await testApp({ decisioning: { catalogue } });
    open.push(h);
    const current = (await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json();
    const next = { ...current.catalogue, levers: { families: { savings: 4 }, actions: {} } };
    const put = await h.app.inject({ method: 'PUT', url: '/v1/catalogue', headers: json, payload: JSON.stringify(next) });
    expect(put.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/v1/levers' })).json()).toEqual({ families: { savings: 4 }, actions: {} });
    expect((await h.app.inject({ method: 'GET', url: `/v1/catalogue?version=${current.catalogueVersion}` })).json().catalogue).toEqual(current.catalogue);
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalogue?version=nope' })).statusCode).toBe(404);
    const bad = await h.app.inject({ method: 'PUT', url: '/v1/catalogue', headers: json, payload: JSON.stringify({ ...next, actions: [] }) });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.details.issues[0].field).toBe('actions');
    expect((await h.app.inject({ method: 'GET', url: '/v1/catalogue' })).json().catalogueVersion).toBe(put.json().catalogueVersion);
  });
});
