import { createPublicKey, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { grants, isScope, SCOPES, type Scope } from '../core/scopes.js';
import { isLive, type Config, type Engine } from '../index.js';
import { keyIdOf, sameDigest, sha256Hex } from './apiKeys.js';
import { sendError } from './errors.js';

/** Who is calling, once their credentials checked out. */
export interface Principal {
  kind: 'api_key' | 'config_key' | 'jwt' | 'none';
  /** Stable and not secret: the key id, `config:<n>`, `jwt:<sha-256 of sub>`, or `anonymous`. Rate limits and logs use it. */
  id: string;
  scopes: ReadonlySet<Scope>;
}

/** What a route accepts: `public`, or any one of these scopes (admin always does). */
export type Access = 'public' | readonly Scope[];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

type Verdict = { ok: true; principal: Principal } | { ok: false; message: string };

/** Checks a bearer credential: one of our API keys, a configured plain key, or a JWT from the identity provider. */
export function credentialChecker(engine: Engine, now: () => number): (authorization: string | undefined) => Promise<Verdict> {
  const server = engine.config.server;
  const configDigests = server.apiKeys.map((k) => sha256Hex(k));
  const jwt = server.jwt ? jwtChecker(server.jwt) : null;
  return async (authorization) => {
    const m = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!m) return { ok: false, message: 'send Authorization: Bearer <api key or token>' };
    const token = m[1]!;
    const id = keyIdOf(token);
    if (id) {
      const k = await engine.apiKeys.get(id);
      // The hash is compared even for an unknown id, so timing does not tell ids apart.
      const match = sameDigest(sha256Hex(token), k?.hash ?? '0'.repeat(64));
      if (!k || !match) return { ok: false, message: 'unknown API key' };
      if (k.revokedAt !== null) return { ok: false, message: `API key ${k.id} was revoked` };
      if (!isLive(k, now())) return { ok: false, message: `API key ${k.id} has expired` };
      return { ok: true, principal: { kind: 'api_key', id: k.id, scopes: new Set(k.scopes) } };
    }
    if (configDigests.length > 0) {
      const digest = sha256Hex(token);
      let found = -1;
      // Every configured key is compared, so the time taken does not say which one matched.
      configDigests.forEach((d, i) => {
        if (sameDigest(digest, d) && found < 0) found = i;
      });
      if (found >= 0) return { ok: true, principal: { kind: 'config_key', id: `config:${found}`, scopes: new Set<Scope>(['admin']) } };
    }
    if (jwt && token.split('.').length === 3) return jwt(token, now());
    return { ok: false, message: 'unknown API key' };
  };
}

function jwtChecker(o: NonNullable<Config['server']['jwt']>): (token: string, now: number) => Promise<Verdict> {
  const key: KeyObject | JWTVerifyGetKey = o.jwksUrl ? createRemoteJWKSet(new URL(o.jwksUrl)) : createPublicKey(o.publicKey!);
  return async (token, now) => {
    try {
      const { payload } = await jwtVerify(token, key as KeyObject, { issuer: o.issuer, audience: o.audience, clockTolerance: o.clockToleranceSeconds, currentDate: new Date(now) });
      const claim = payload[o.scopeClaim];
      const words = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim.filter((c): c is string => typeof c === 'string') : [];
      const scopes = new Set(words.filter(isScope));
      // A subject may be a person's email: logs and rate limits see a hash of it.
      return { ok: true, principal: { kind: 'jwt', id: `jwt:${sha256Hex(payload.sub ?? '').slice(0, 16)}`, scopes } };
    } catch (e) {
      return { ok: false, message: `bearer token refused: ${(e as Error).message}` };
    }
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** True for a loopback interface name or address (`localhost`, 127.0.0.0/8, ::1). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || LOOPBACK.test(host);
}

const ANONYMOUS: Principal = { kind: 'none', id: 'anonymous', scopes: new Set<Scope>(SCOPES) };

/**
 * Checks every request against the access its matched route declares (`config.access`),
 * never against the URL string: the router has already decoded and matched the path, so
 * percent-encoding, doubled slashes and absolute-form targets reach the same check. A
 * route that declares nothing is admin-only. Runs before the body is read.
 */
export function installAccessControl(app: FastifyInstance, engine: Engine, o: { mode: 'keys' | 'none'; now: () => number; corsEnabled: boolean }): void {
  app.decorateRequest('principal', null);
  const check = credentialChecker(engine, o.now);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return; // the not-found handler answers; there is nothing to protect
    // CORS preflights carry no credentials; the CORS plugin answers them and nothing else.
    if (o.corsEnabled && request.method === 'OPTIONS') return;
    const access = request.routeOptions.config.access ?? ['admin'];
    if (access === 'public') return;
    if (o.mode === 'none') {
      // No-auth mode is for a loopback bind only; a socket on any other interface is refused.
      const local = request.socket?.localAddress;
      if (local !== undefined && !isLoopback(local)) return sendError(reply, 'UNAUTHORIZED', 'authentication is off, so only loopback connections are served');
      request.principal = ANONYMOUS;
      return;
    }
    const verdict = await check(request.headers.authorization);
    if (!verdict.ok) {
      reply.header('www-authenticate', 'Bearer realm="nextbest"');
      return sendError(reply, 'UNAUTHORIZED', verdict.message);
    }
    if (!grants(verdict.principal.scopes, access)) {
      return sendError(reply, 'FORBIDDEN', `this route needs scope ${access.join(' or ')} (or admin)`, { needed: [...access] });
    }
    request.principal = verdict.principal;
  });
}
