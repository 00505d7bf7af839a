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

/** Verified tokens kept at most this long, however long they live (a signing key withdrawn at the IdP stops them within it). */
const JWT_CACHE_MS = 60_000;
/** Verified tokens kept at once; the oldest go first. */
const JWT_CACHE_SIZE = 10_000;

interface VerifiedToken {
  principal: Principal;
  /** Epoch ms: the token's exp plus the tolerance (Infinity without exp), and the end of the cache's own bound. */
  expiresAt: number;
  until: number;
}

/**
 * Checks a JWT's signature and claims (~120 µs of CPU for ES256, as much as a decision's
 * explanation) once, then serves the verdict from memory until the token expires or
 * JWT_CACHE_MS pass, whichever is first. Expiry is checked on every use with the same
 * tolerance as jose's; a token is only cached once verified, so refused tokens are checked
 * every time. The cache is keyed by the SHA-256 of the token, never the token itself.
 */
function jwtChecker(o: NonNullable<Config['server']['jwt']>): (token: string, now: number) => Promise<Verdict> {
  const key: KeyObject | JWTVerifyGetKey = o.jwksUrl ? createRemoteJWKSet(new URL(o.jwksUrl)) : createPublicKey(o.publicKey!);
  const verified = new Map<string, VerifiedToken>();
  return async (token, now) => {
    const digest = sha256Hex(token);
    const hit = verified.get(digest);
    if (hit) {
      if (now < hit.expiresAt && now < hit.until) return { ok: true, principal: hit.principal };
      verified.delete(digest);
    }
    try {
      const { payload } = await jwtVerify(token, key as KeyObject, { issuer: o.issuer, audience: o.audience, clockTolerance: o.clockToleranceSeconds, currentDate: new Date(now) });
      const claim = payload[o.scopeClaim];
      const words = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim.filter((c): c is string => typeof c === 'string') : [];
      const scopes = new Set(words.filter(isScope));
      // A subject may be a person's email: logs and rate limits see a hash of it.
      const principal: Principal = { kind: 'jwt', id: `jwt:${sha256Hex(payload.sub ?? '').slice(0, 16)}`, scopes };
      // A token not yet valid (nbf in the future) was refused above, so only exp bounds its life here.
      const expiresAt = typeof payload.exp === 'number' ? (payload.exp + o.clockToleranceSeconds) * 1000 : Number.POSITIVE_INFINITY;
      if (verified.size >= JWT_CACHE_SIZE) verified.delete(verified.keys().next().value!);
      verified.set(digest, { principal, expiresAt, until: now + JWT_CACHE_MS });
      return { ok: true, principal };
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
  /** What a request needs, or null when nothing is checked (no route, a preflight, a public route). */
  const needs = (request: FastifyRequest): readonly Scope[] | null => {
    if (request.is404) return null; // the not-found handler answers; there is nothing to protect
    // CORS preflights carry no credentials; the CORS plugin answers them and nothing else.
    if (o.corsEnabled && request.method === 'OPTIONS') return null;
    const access = request.routeOptions.config.access ?? ['admin'];
    return access === 'public' ? null : access;
  };
  if (o.mode === 'none') {
    // No-auth mode is for a loopback bind only; a socket on any other interface is refused.
    // A socket's local address does not change: it is asked once per connection, not per request.
    const loopback = new WeakMap<object, boolean>();
    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (e?: Error) => void) => {
      if (needs(request) === null) return done();
      const socket = request.socket;
      let local = socket ? loopback.get(socket) : undefined;
      if (local === undefined) {
        const address = socket?.localAddress;
        local = address === undefined || isLoopback(address);
        if (socket && address !== undefined) loopback.set(socket, local);
      }
      if (!local) {
        sendError(reply, 'UNAUTHORIZED', 'authentication is off, so only loopback connections are served');
        return;
      }
      request.principal = ANONYMOUS;
      done();
    });
    return;
  }
  const check = credentialChecker(engine, o.now);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const access = needs(request);
    if (access === null) return;
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
