import { describe, it, expect, afterEach, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleRoutes, resolveAsset } from '../../src/server/routes/console.js';
import { testApp } from '../helpers/app.js';

let root: string;
let app: FastifyInstance;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'nextbest-console-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(join(root, '..', 'secret.txt'), 'not for the web');
  app = Fastify();
  consoleRoutes(app, root);
  await app.ready();
});
afterAll(async () => {
  await app.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(join(root, '..', 'secret.txt'), { force: true });
});

describe('the console at /console', () => {
  it('serves the shell with no-cache and a same-origin CSP', async () => {
    const res = await app.inject({ url: '/console/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toContain('id="root"');
    expect((await app.inject({ url: '/console' })).headers.location).toBe('/console/');
  });

  it('serves hashed assets with their type, cached for a year', async () => {
    const js = await app.inject({ url: '/console/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ url: '/console/assets/index-abc123.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it("answers the console's own routes with the shell, so a reload keeps the page", async () => {
    for (const url of ['/console/customers/c0000001', '/console/decisions/d-1', '/console/models']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain('id="root"');
    }
  });

  it('gives a JSON 404 for a missing asset, never the shell', async () => {
    const res = await app.inject({ url: '/console/assets/index-old.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  it('never serves a file outside its folder', async () => {
    for (const url of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/assets/%2e%2e%2f%2e%2e%2fsecret.txt']) {
      const res = await app.inject({ url });
      expect(res.body, url).not.toContain('not for the web');
    }
    expect(resolveAsset(root, '%2e%2e/secret.txt')).toBeNull();
    expect(resolveAsset(root, '%E0%A4%A')).toBeNull();
    expect(resolveAsset(root, 'assets/index-abc123.js')).toBe(join(root, 'assets', 'index-abc123.js'));
  });

  it('says how to build the console when it is not built', async () => {
    const bare = Fastify();
    consoleRoutes(bare, join(root, 'missing'));
    const res = await bare.inject({ url: '/console/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain('npm run build:console');
    await bare.close();
  });
});

describe('GET /v1/auth/whoami', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => t?.close());

  it('names the credential and its scopes, and refuses a request without a key', async () => {
    const key = 'k'.repeat(32);
    t = await testApp({ server: { apiKeys: [key] } });
    expect((await t.app.inject({ url: '/v1/auth/whoami' })).statusCode).toBe(401);
    const res = await t.app.inject({ url: '/v1/auth/whoami', headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: expect.stringMatching(/^config/), kind: 'config_key', scopes: ['admin'] });
    expect(res.body).not.toContain(key);
  });

  it('serves the console shell without a key (its data needs one)', async () => {
    t = await testApp({ server: { apiKeys: ['k'.repeat(32)] } });
    const res = await t.app.inject({ url: '/console/customers/c1' });
    // 200 with a built console, or the JSON 404 that says how to build it; never 401.
    expect([200, 404]).toContain(res.statusCode);
    if (res.statusCode === 404) expect(res.json().error.message).toContain('npm run build:console');
    else expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  });
});
