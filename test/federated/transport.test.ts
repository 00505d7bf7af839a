import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Participant } from '../../src/federated/participant.js';
import { httpLink, serveParticipant, type ParticipantServer } from '../../src/federated/transport.js';
import { syntheticBank, TOKEN } from './helpers.js';

const bank = syntheticBank(200, 41);
let plain: ParticipantServer;
beforeAll(async () => {
  plain = await serveParticipant(new Participant('bank-a', bank), { token: TOKEN });
});
afterAll(async () => plain.close());

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/federated/hello`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('participant HTTP', () => {
  it('answers only with its token; a bad body is a 422 naming the field; unknown routes 404', async () => {
    expect((await post(plain.url, { session: 'session-1', protocol: 1 }, { authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
    const ok = await post(plain.url, { session: 'session-1', protocol: 1 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ participant: 'bank-a', rows: 150, features: bank.featureNames });
    const bad = await post(plain.url, { session: 'x', protocol: 1 });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(await bad.json())).toMatch(/body\.session/);
    expect((await post(plain.url, '{"session":')).status).toBe(400);
    const nf = await fetch(`${plain.url}/v1/federated/rows`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(nf.status).toBe(404);
    // The server never crashes on input: it still answers.
    expect((await post(plain.url, { session: 'session-2', protocol: 1 })).status).toBe(200);
  });

  it('refuses a token shorter than 16 characters', async () => {
    await expect(serveParticipant(new Participant('bank-b', bank), { token: 'short' })).rejects.toThrow(/token/);
  });

  it('over TLS the coordinator accepts the pinned certificate and refuses any other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nb-fed-tls-'));
    const make = (n: string) => {
      const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${n}.key`), '-out', join(dir, `${n}.crt`), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1']);
      expect(r.status, r.stderr.toString()).toBe(0);
      return { key: readFileSync(join(dir, `${n}.key`), 'utf8'), cert: readFileSync(join(dir, `${n}.crt`), 'utf8') };
    };
    const mine = make('mine');
    const other = make('other');
    const server = await serveParticipant(new Participant('bank-a', bank), { token: TOKEN, tls: mine });
    try {
      const pin = createHash('sha256').update(new X509Certificate(mine.cert).raw).digest('hex');
      const good = httpLink({ name: 'bank-a', url: server.url, token: TOKEN, ca: mine.cert, pin });
      expect((await good.call('hello', { session: 'session-tls', protocol: 1 })).participant).toBe('bank-a');
      const wrongPin = httpLink({ name: 'bank-a', url: server.url, token: TOKEN, ca: mine.cert, pin: 'ab'.repeat(32) });
      await expect(wrongPin.call('hello', { session: 'session-tls', protocol: 1 })).rejects.toThrow(/pinned/);
      const wrongCa = httpLink({ name: 'bank-a', url: server.url, token: TOKEN, ca: other.cert });
      await expect(wrongCa.call('hello', { session: 'session-tls', protocol: 1 })).rejects.toThrow();
    } finally {
      await server.close();
    }
  });
});
