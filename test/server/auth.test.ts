import { describe, it, expect, afterEach } from 'vitest';
import { connect } from 'node:net';
import { createServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import { createEngine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { generateKeyPair, exportJWK, exportSPKI, SignJWT } from 'jose';
import { testApp } from '../helpers/app.js';
import { SCOPES, type Scope } from '../../src/core/scopes.js';
import { exampleEvents } from '../helpers/events.js';

type Doc = { paths: Record<string, Record<string, { security: { bearer: string[] }[]; 'x-scopes'?: Scope[] }>> };

/** Sample values for path parameters: any value will do, a 404 is still past the access check. */
const fill = (path: string) => path.replace('{customerId}', 'c1').replace('{decisionId}', 'd-unknown').replace('{actionId}', 'cashback').replace('{id}', 'x@1').replace('{name}', 'x');

/** Sends a raw HTTP/1.1 request line (e.g. an absolute-form target) and returns the status. */
async function rawStatus(port: number, target: string, headers: Record<string, string> = {}): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
    });
    let buf = '';
    s.on('data', (d) => (buf += d.toString()));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
  });
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

describe('access control', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => t?.close());

  it('every route in /openapi.json: 401 without a key, 403 with a wrong scope, through with its scope or admin', async () => {
    t = await testApp({}, { auth: { mode: 'keys' } });
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as Doc;
    const keys = new Map<Scope, Record<string, string>>();
    for (const s of SCOPES) keys.set(s, { authorization: (await t.keyFor([s])).authorization });
    let protectedRoutes = 0;
    const publicRoutes: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const call = (headers: Record<string, string> = {}) =>
          t.app.inject({ method: method.toUpperCase() as 'GET', url: fill(path), headers: { ...headers, ...(method === 'get' || method === 'delete' ? {} : { 'content-type': 'application/json' }) }, ...(method === 'get' || method === 'delete' ? {} : { payload: '{}' }) });
        const label = `${method.toUpperCase()} ${path}`;
        if (op.security.length === 0) {
          publicRoutes.push(path);
          expect((await call()).statusCode, label).toBeLessThan(400);
          continue;
        }
        protectedRoutes++;
        const needed = op.security.map((s) => s.bearer[0] as Scope);
        expect(op['x-scopes'], label).toEqual(needed);
        const anonymous = await call();
        expect(anonymous.statusCode, label).toBe(401);
        expect(anonymous.json().error.code).toBe('UNAUTHORIZED');
        expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
        // A route any key may call (GET /v1/auth/whoami) has no wrong scope.
        const wrong = SCOPES.find((s) => s !== 'admin' && !needed.includes(s));
        if (wrong) {
          const refused = await call(keys.get(wrong));
          expect(refused.statusCode, `${label} with ${wrong}`).toBe(403);
          expect(refused.json().error.message).toContain(needed[0]);
        }
        for (const s of [...needed, 'admin' as const]) expect([401, 403], `${label} with ${s}`).not.toContain((await call(keys.get(s))).statusCode);
      }
    }
    expect(protectedRoutes).toBeGreaterThanOrEqual(25);
    expect(publicRoutes.sort()).toEqual(['/healthz', '/readyz']);
    // The two not in the document are public too, and nothing else is.
    expect((await t.app.inject({ url: '/openapi.json' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/docs' })).statusCode).toBe(200);
  });

  it('is secure when built with no options at all', async () => {
    const engine = await createEngine({ store: 'memory', log: { level: 'silent' } });
    const app = buildApp(engine, { logger: false });
    try {
      expect((await app.inject({ url: '/v1/actions' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('in no-auth mode still refuses sockets on a non-loopback interface', async (ctx) => {
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!external) return ctx.skip();
    t = await testApp();
    await t.app.listen({ port: 0, host: '0.0.0.0' });
    const port = (t.app.server.address() as { port: number }).port;
    expect((await fetch(`http://${external}:${port}/v1/actions`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/v1/actions`)).status).toBe(200);
  });

  it('checks the matched route, so no spelling of a URL gets past it (inject and a raw socket)', async () => {
    t = await testApp({}, { auth: { mode: 'keys' } });
    const admin = await t.keyFor(['admin']);
    const spellings = ['/v1/actions', '/v1/%61ctions', '/v1/act%69ons', '/%76%31/actions', '/v1/actions?x=1', '/v1/actions/', '//v1/actions', '/v1//actions', '/v1/./actions', '/v1/x/../actions', '/V1/actions', '/v1/customers/c1', '/v1/customers/c%31', '/v1/%63ustomers/c1/profile', '/v1/customers%2Fc1', '/v1/actions#x'];
    for (const url of spellings) {
      for (const method of ['GET', 'HEAD'] as const) {
        const open = await t.app.inject({ method, url });
        expect([401, 404], `${method} ${url}`).toContain(open.statusCode);
        // Where the router matched a route, the key gets through: the same check ran.
        if (open.statusCode === 401) expect((await t.app.inject({ method, url, headers: { authorization: admin.authorization } })).statusCode, url).toBeLessThan(500);
      }
    }
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as { port: number }).port;
    for (const target of ['http://127.0.0.1/v1/actions', 'http://evil.example/v1/%61ctions', 'http://127.0.0.1//v1/actions', 'http://127.0.0.1/v1/customers/c1/profile']) {
      const status = await rawStatus(port, target);
      expect([400, 401, 404], target).toContain(status);
    }
    expect(await rawStatus(port, 'http://127.0.0.1/v1/actions')).toBe(401);
    expect(await rawStatus(port, 'http://127.0.0.1/v1/actions', { authorization: admin.authorization })).toBe(200);
    expect(await rawStatus(port, '/v1/%61ctions')).toBe(401);
  });

  it('refuses expired, revoked, tampered and unknown keys; config keys act as admin', async () => {
    t = await testApp({ server: { apiKeys: ['k'.repeat(32)] } });
    const get = (authorization?: string) => t.app.inject({ url: '/v1/actions', headers: authorization ? { authorization } : {} });
    const live = await t.keyFor(['catalogue:write'], Date.now() + 60_000);
    expect((await get(live.authorization)).statusCode).toBe(200);
    const expired = await t.keyFor(['admin'], Date.now() - 1);
    const e = await get(expired.authorization);
    expect(e.statusCode).toBe(401);
    expect(e.json().error.message).toContain('expired');
    const revoked = await t.keyFor(['admin']);
    expect((await get(revoked.authorization)).statusCode).toBe(200);
    expect(await t.engine.apiKeys.revoke(revoked.id, Date.now())).toBe(true);
    expect((await get(revoked.authorization)).json().error.message).toContain('revoked');
    const tampered = live.key.slice(0, -4) + (live.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await get(`Bearer ${tampered}`)).statusCode).toBe(401);
    expect((await get(`Bearer nbk_000000000000_${'A'.repeat(43)}`)).statusCode).toBe(401);
    expect((await get('Bearer nope')).statusCode).toBe(401);
    expect((await get(live.key)).statusCode).toBe(401); // no Bearer scheme
    expect((await get(`Basic ${live.key}`)).statusCode).toBe(401);
    expect((await get(`Bearer ${'k'.repeat(32)}`)).statusCode).toBe(200);
    // The config key reaches the privacy route (not 401/403); c1 is unknown, and an unknown id is a 404.
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/customers/c1', headers: { authorization: `Bearer ${'k'.repeat(32)}` } })).statusCode).toBe(404);
    // Only the hash is stored.
    const stored = await t.engine.apiKeys.list();
    // The secret is all after `nbk_<id>_`: base64url, so it may hold underscores itself.
    expect(JSON.stringify(stored)).not.toContain(live.key.split('_').slice(2).join('_'));
  });

  it('accepts JWTs from the configured issuer with scopes from the scope claim', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    t = await testApp({ server: { jwt: { issuer: 'https://idp.bank.example', audience: 'nextbest', publicKey: await exportSPKI(publicKey) } } });
    const sign = (claims: Record<string, unknown>, o: { key?: typeof privateKey; aud?: string; exp?: string } = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://idp.bank.example').setAudience(o.aud ?? 'nextbest').setSubject('svc-crm').setIssuedAt().setExpirationTime(o.exp ?? '5m').sign(o.key ?? privateKey);
    const call = async (token: string, url = '/v1/customers/c1/profile') => (await t.app.inject({ url, headers: { authorization: `Bearer ${token}` } })).statusCode;
    expect(await call(await sign({ scope: 'profiles:read events:write' }))).toBe(404); // through: no such customer
    expect(await call(await sign({ scope: ['profiles:read'] }))).toBe(404);
    expect(await call(await sign({ scope: 'events:write' }))).toBe(403);
    expect(await call(await sign({ scope: 'admin' }), '/v1/actions')).toBe(200);
    expect(await call(await sign({ scope: 'profiles:read' }, { aud: 'someone-else' }))).toBe(401);
    expect(await call(await sign({ scope: 'profiles:read' }, { key: other.privateKey }))).toBe(401);
    expect(await call(await sign({ scope: 'profiles:read' }, { exp: '-10m' }))).toBe(401);
    expect(await call('a.b.c')).toBe(401);
  });

  it('keeps a verified JWT only while it is valid: past its exp (and the tolerance) it is refused, as on its first use', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    let now = Date.parse('2026-03-01T12:00:00Z');
    t = await testApp({ server: { jwt: { issuer: 'https://idp.bank.example', audience: 'nextbest', publicKey: await exportSPKI(publicKey), clockToleranceSeconds: 30 } } }, { now: () => now });
    const exp = now / 1000 + 60;
    const token = await new SignJWT({ scope: 'catalogue:write' }).setProtectedHeader({ alg: 'ES256' }).setIssuer('https://idp.bank.example').setAudience('nextbest').setSubject('svc-crm').setExpirationTime(exp).sign(privateKey);
    const status = async () => (await t.app.inject({ url: '/v1/levers', headers: { authorization: `Bearer ${token}` } })).statusCode;
    expect(await status()).toBe(200);
    now += 89_000; // exp + 29 s: within the tolerance, served from what was verified
    expect(await status()).toBe(200);
    now += 2_000; // exp + 31 s: expired, cached or not
    expect(await status()).toBe(401);
    // A forged token with the same claims is checked, not served from the cache.
    now -= 60_000;
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.${'A'.repeat(86)}`;
    expect((await t.app.inject({ url: '/v1/levers', headers: { authorization: `Bearer ${forged}` } })).statusCode).toBe(401);
    expect(await status()).toBe(200);
  });

  it('fetches the signing keys from a JWKS URL', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const idp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(idp.address() as { port: number }).port}/jwks.json`;
      t = await testApp({ server: { jwt: { issuer: 'https://idp.bank.example', audience: 'nextbest', jwksUrl: url } } });
      const token = (scope: string, kid = 'k1') => new SignJWT({ scope }).setProtectedHeader({ alg: 'RS256', kid }).setIssuer('https://idp.bank.example').setAudience('nextbest').setExpirationTime('5m').sign(privateKey);
      const status = async (tok: string) => (await t.app.inject({ url: '/v1/levers', headers: { authorization: `Bearer ${tok}` } })).statusCode;
      expect(await status(await token('catalogue:write'))).toBe(200);
      expect(await status(await token('profiles:read'))).toBe(403);
      expect(await status(await token('catalogue:write', 'unknown-kid'))).toBe(401);
    } finally {
      idp.close();
    }
  });

  it('limits requests per caller and per customer: 429 with Retry-After', async () => {
    t = await testApp({ server: { rateLimit: { perKey: { max: 3, windowSeconds: 60 }, perCustomer: { max: 2, windowSeconds: 60 } } } }, { auth: { mode: 'keys' } });
    const a = await t.keyFor(['catalogue:write']);
    const b = await t.keyFor(['catalogue:write', 'profiles:read']);
    for (let i = 0; i < 3; i++) expect((await t.app.inject({ url: '/v1/levers', headers: a })).statusCode).toBe(200);
    const over = await t.app.inject({ url: '/v1/levers', headers: a });
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe('RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.app.inject({ url: '/v1/levers', headers: b })).statusCode).toBe(200);
    // Per customer, whichever key asks: b has one request left of its own.
    const c = await t.keyFor(['profiles:read']);
    expect((await t.app.inject({ url: '/v1/customers/c1', headers: b })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/v1/customers/c1', headers: c })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/v1/customers/c1', headers: c })).statusCode).toBe(429);
    expect((await t.app.inject({ url: '/v1/customers/c2', headers: c })).statusCode).toBe(404);
    // Anonymous callers are refused before they count against anyone.
    expect((await t.app.inject({ url: '/v1/levers' })).statusCode).toBe(401);
  });
});

describe('limits on input and connections', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  afterEach(async () => t?.close());

  it('refuses JSON nested 5,000 levels deep with 400 JSON_TOO_DEEP, never a 500', async () => {
    t = await testApp();
    const deepArray = `${'['.repeat(5000)}${']'.repeat(5000)}`;
    const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    for (const url of ['/v1/events', '/v1/decisions', '/v1/customers', '/v1/levers']) {
      for (const body of [deepArray, deepObject, `{"events":[${deepArray}]}`]) {
        const res = await t.post(url, body);
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error.code).toBe('JSON_TOO_DEEP');
      }
    }
    // Brackets inside strings are text, not nesting; moderate nesting is fine.
    const e = exampleEvents('c1')[0]!;
    expect((await t.post('/v1/events', { ...e, payload: { ...(e.payload as object), note: '['.repeat(5000) } })).json().error?.code).not.toBe('JSON_TOO_DEEP');
    expect((await t.post('/v1/events', `${'['.repeat(60)}${']'.repeat(60)}`)).statusCode).toBe(200); // a batch of one nested array: reported per item
  });

  it('sets security headers on every response and answers CORS only for allowed origins', async () => {
    t = await testApp({}, { auth: { mode: 'keys' } });
    for (const url of ['/healthz', '/v1/actions', '/nope', '/docs']) {
      const res = await t.app.inject({ url, headers: { origin: 'https://evil.example' } });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    }
    expect((await t.app.inject({ url: '/v1/actions' })).headers['cache-control']).toBe('no-store');
    await t.close();
    t = await testApp({ server: { corsOrigins: ['https://console.bank.example'] } }, { auth: { mode: 'keys' } });
    const preflight = (origin: string) => t.app.inject({ method: 'OPTIONS', url: '/v1/actions', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    const ok = await preflight('https://console.bank.example');
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://console.bank.example');
    expect((await preflight('https://evil.example')).headers['access-control-allow-origin']).toBeUndefined();
    // A preflight is not a way in: the real request still needs a key.
    expect((await t.app.inject({ url: '/v1/actions', headers: { origin: 'https://console.bank.example' } })).statusCode).toBe(401);
  });

  it('cuts off slow headers, slow bodies and connections over the limit', async () => {
    t = await testApp({ server: { timeouts: { headersMs: 300, requestMs: 600 }, maxConnections: 3 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as { port: number }).port;
    /** Opens a socket, writes `first`, and resolves with ms until the server closes it (or 10 s). */
    const heldFor = (first: string) =>
      new Promise<number>((resolve) => {
        const started = Date.now();
        const s = connect(port, '127.0.0.1', () => s.write(first));
        s.on('data', () => undefined);
        s.on('close', () => resolve(Date.now() - started));
        s.on('error', () => undefined);
        setTimeout(() => (s.destroy(), resolve(10_000)), 10_000).unref();
      });
    const slowHeaders = heldFor('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const slowBody = heldFor('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[');
    expect(await slowHeaders).toBeLessThan(3_000);
    expect(await slowBody).toBeLessThan(3_000);
  });

  it('refuses connections beyond maxConnections', async () => {
    t = await testApp({ server: { maxConnections: 2 } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as { port: number }).port;
    const sockets: import('node:net').Socket[] = [];
    /** Opens a socket and resolves whether the server closed it within 1.5 s. */
    const closedSoon = () =>
      new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1');
        sockets.push(s);
        s.on('close', () => resolve(true));
        s.on('error', () => undefined);
        setTimeout(() => resolve(false), 1500).unref();
      });
    const [a, b] = await Promise.all([closedSoon(), closedSoon()]);
    const c = await closedSoon();
    for (const s of sockets) s.destroy();
    expect([a, b]).toEqual([false, false]);
    expect(c).toBe(true);
  });
});

describe('server configuration', () => {
  it('checks the access and limit settings, and reads NEXTBEST_AUTH', async () => {
    const { parseConfig, loadConfig } = await import('../../src/config.js');
    const c = parseConfig({});
    expect(c.server.auth).toBe('keys');
    expect(c.server.corsOrigins).toEqual([]);
    expect(c.server.rateLimit.perKey.max).toBeGreaterThan(0);
    expect(() => parseConfig({ server: { jwt: { issuer: 'i', audience: 'a' } } })).toThrow(/jwksUrl and publicKey/);
    expect(() => parseConfig({ server: { jwt: { issuer: 'i', audience: 'a', jwksUrl: 'https://idp/jwks', publicKey: 'x' } } })).toThrow(/exactly one/);
    expect(() => parseConfig({ server: { timeouts: { headersMs: 5000, requestMs: 1000 } } })).toThrow(/headersMs/);
    expect(() => parseConfig({ server: { auth: 'open' as never } })).toThrow(/server.auth/);
    expect(loadConfig('/nonexistent.yaml', { NEXTBEST_AUTH: 'none' }).server.auth).toBe('none');
  });
});
