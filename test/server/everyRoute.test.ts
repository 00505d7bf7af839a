/**
 * Every operation the OpenAPI document lists, fed odd bodies, path parameters and query
 * strings: the server never answers 5xx, every refusal is the error envelope (a code, and a
 * field for a 422), and it still answers afterwards. Seeded (fast-check), so a failure
 * replays; the shapes come from the document, so a new route is probed without an edit here.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/app.js';
import { exampleEvents } from '../helpers/events.js';

const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));
type Doc = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };

const oddScalars = [null, '', ' ', -0, -1, 0.5, 1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 'NaN', 'Infinity', '2026-02-30T25:61:00Z', '9999-12-31T23:59:59Z', '*', '__proto__', 'constructor', '\u0000', '💷', 'a'.repeat(5000), true, [], {}];
const oddSegments = ['c1', '*', '%00', '%2e%2e', '..', 'a'.repeat(300), '%F0%9F%92%B7', '__proto__', 'constructor', '0', '-1', ' ', '%20', 'x%2Fy', 'null', '1e309', 'customer@bank'];
const oddQueries = ['limit=-1', 'limit=abc', 'limit=1e9', 'limit=0', 'cursor=zzz', 'cursor=', 'from=yesterday', 'to=2026-13-01', 'from=2026-03-01&to=2026-01-01', 'days=-5', 'days=1e400', 'n=999999', '__proto__=1', 'constructor[prototype]=1', 'x=' + 'y'.repeat(3000), 'limit=1&limit=2'];

/** Bodies: JSON of every kind, objects with odd keys and values, and the shapes of real requests with one field made odd. */
const body = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(fc.constantFrom('customerId', 'channel', 'events', 'customers', 'name', 'version', 'id', 'limit', 'days', 'seed', 'levers', 'catalogue', 'models', 'scopes', 'scenario', 'policy', 'trigger', 'actions', 'from', 'to', 'n', '__proto__', 'constructor'), fc.constantFrom(...oddScalars)) },
  { weight: 1, arbitrary: fc.constantFrom('{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}', '[]', 'null', '"text"', '123', '{}', '{"a":' + '['.repeat(60) + ']'.repeat(60) + '}').map((s) => ({ raw: s })) },
);

describe.each(['memory', 'sqlite'] as const)('every route under odd input (%s store)', (store) => {
  let h: Awaited<ReturnType<typeof testApp>>;
  let doc: Doc;
  const runs = store === 'memory' ? 4000 : 2000;
  const dataDir = mkdtempSync(join(tmpdir(), 'nb-every-route-'));
  beforeAll(async () => {
    h = await testApp({ store, dataDir, decisioning: { catalogue }, privacy: { retentionEveryMinutes: 0 } });
    await h.post('/v1/customers', { customers: [{ customerId: 'c1', dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true } }] });
    await h.post('/v1/events', { events: exampleEvents('ev', '2026-02-27T09:00:00Z').map((e) => ({ ...e, customerId: e.customerId === '*' ? '*' : 'c1' })) });
    doc = (await h.app.inject({ url: '/openapi.json' })).json() as Doc;
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never answers 5xx, refuses with the error envelope, and keeps answering (seeded)', async () => {
    const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ path, method: m.toUpperCase() })));
    expect(ops.length).toBeGreaterThan(30);
    const failures: string[] = [];
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(ops.length - 1), fc.constantFrom(...oddSegments), fc.option(fc.constantFrom(...oddQueries), { nil: undefined }), body, async (k, segment, query, b) => {
        const op = ops[k]!;
        const url = op.path.replace(/\{[^}]+\}/g, segment) + (query ? `?${query}` : '');
        const payload = b !== null && typeof b === 'object' && 'raw' in (b as object) ? (b as { raw: string }).raw : JSON.stringify(b);
        const withBody = op.method !== 'GET' && op.method !== 'DELETE' && op.method !== 'HEAD';
        const r = await h.app.inject({ method: op.method as 'GET', url, ...(withBody ? { payload, headers: { 'content-type': 'application/json' } } : {}) });
        sent++;
        if (r.statusCode >= 500) failures.push(`${op.method} ${url.slice(0, 120)} ${payload.slice(0, 120)} → ${r.statusCode} ${r.body.slice(0, 300)}`);
        else if (r.statusCode >= 400 && r.headers['content-type']?.toString().includes('json')) {
          const e = r.json().error;
          if (typeof e?.code !== 'string') failures.push(`${op.method} ${url.slice(0, 120)} → ${r.statusCode} without an error code: ${r.body.slice(0, 200)}`);
          else if (r.statusCode === 422 && !(e.details?.issues?.[0]?.field !== undefined || typeof e.details?.field === 'string')) failures.push(`${op.method} ${url.slice(0, 120)} → 422 naming no field: ${r.body.slice(0, 200)}`);
        }
      }),
      { seed: store === 'memory' ? 20261205 : 20261206, numRuns: runs },
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(sent).toBe(runs);
    // Still serving, and no odd key reached an object's prototype.
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    // c1 may have been erased by a probe: a new customer is decided for.
    await h.post('/v1/customers', { customers: [{ customerId: 'after', dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true } }] });
    expect((await h.post('/v1/decisions', { customerId: 'after', channel: 'in_app' })).statusCode).toBe(200);
  }, 240_000);
});
