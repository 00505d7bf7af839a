import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import cors from '@fastify/cors';
import type { Config } from '../index.js';
import { sendError } from './errors.js';

type ServerConfig = Config['server'];

/** Node http server options that cut off slow and idle clients (passed to Fastify). */
export function serverTimeouts(server: ServerConfig) {
  const t = server.timeouts;
  return {
    connectionTimeout: t.idleSocketMs,
    keepAliveTimeout: t.keepAliveMs,
    requestTimeout: t.requestMs,
    // Node checks header and request deadlines on this interval (30 s by default), so a
    // short timeout would otherwise be enforced late.
    http: { headersTimeout: t.headersMs, connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(t.headersMs / 4))) },
  };
}

/** Caps open connections once the server exists (Node refuses connections beyond it). */
export function capConnections(app: FastifyInstance, server: ServerConfig): void {
  app.server.maxConnections = server.maxConnections;
}

/**
 * Where the JSON nesting first goes deeper than `max` (an offset), or -1. Scanned before
 * `JSON.parse`, so a body of 5,000 nested arrays costs one pass and never reaches code
 * that recurses.
 */
export function jsonTooDeepAt(text: string, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return i;
    } else if (c === 93 || c === 125) depth--;
  }
  return -1;
}

/**
 * Sets the headers a bank's reviewer looks for on every response. The API serves JSON and
 * one static HTML page with inline styles, so the content policy allows nothing else.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(SECURITY_HEADERS);
    // Responses carry customer data: no cache (browser or proxy) may keep them.
    if (!reply.hasHeader('cache-control') && request.url !== '/openapi.json') reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}

const SECURITY_HEADERS = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
});

/** CORS only for the configured origins; without any, browsers on other origins get no CORS headers at all. */
export function installCors(app: FastifyInstance, server: ServerConfig): boolean {
  if (server.corsOrigins.length === 0) return false;
  app.register(cors, { origin: [...server.corsOrigins], methods: ['GET', 'POST', 'PUT', 'DELETE'], allowedHeaders: ['authorization', 'content-type'], maxAge: 600, strictPreflight: true });
  return true;
}

/** `isAllowed` means allow-listed (we list nobody); `isExceeded` is the verdict. */
type Limiter = (req: FastifyRequest) => Promise<{ isAllowed: true; key: string } | { isAllowed: false; key: string; ttlInSeconds: number; max: number; isExceeded: boolean }>;

/**
 * Rate limits with @fastify/rate-limit's counters: per caller after authentication, and per
 * customer id (path, or the body of a decision request) once the body is parsed. Over the
 * limit: 429 RATE_LIMITED with Retry-After.
 */
export function installRateLimits(app: FastifyInstance, server: ServerConfig): void {
  const { perKey, perCustomer } = server.rateLimit;
  if (perKey.max === 0 && perCustomer.max === 0) return;
  app.register(rateLimit, { global: false });
  let byCaller: Limiter | undefined;
  let byCustomer: Limiter | undefined;
  const create = (max: number, windowSeconds: number, keyGenerator: (r: FastifyRequest) => string): Limiter =>
    (app as unknown as { createRateLimit(o: object): Limiter }).createRateLimit({ max, timeWindow: windowSeconds * 1000, keyGenerator });
  const refuse = (reply: FastifyReply, ttl: number, what: string) => {
    reply.header('retry-after', String(Math.max(1, ttl)));
    return sendError(reply, 'RATE_LIMITED', `too many requests ${what}; retry after ${Math.max(1, ttl)} s`);
  };
  if (perKey.max > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (!request.principal) return; // public routes and 404s
      byCaller ??= create(perKey.max, perKey.windowSeconds, (r) => `caller:${r.principal?.id ?? ''}`);
      const r = await byCaller(request);
      if (!r.isAllowed && r.isExceeded) return refuse(reply, r.ttlInSeconds, 'from this caller');
    });
  }
  if (perCustomer.max > 0) {
    app.addHook('preHandler', async (request, reply) => {
      const id = customerIdOf(request);
      if (id === null || !request.principal) return;
      byCustomer ??= create(perCustomer.max, perCustomer.windowSeconds, (r) => `customer:${customerIdOf(r) ?? ''}`);
      const r = await byCustomer(request);
      if (!r.isAllowed && r.isExceeded) return refuse(reply, r.ttlInSeconds, 'for this customer');
    });
  }
}

/** The customer a request is about: the path's customerId, or a decision request's. */
export function customerIdOf(request: FastifyRequest): string | null {
  const p = (request.params as Record<string, unknown> | undefined)?.customerId;
  if (typeof p === 'string') return p;
  if (request.routeOptions.url === '/v1/decisions' && request.method === 'POST') {
    const b = (request.body as Record<string, unknown> | null | undefined)?.customerId;
    if (typeof b === 'string') return b;
  }
  return null;
}
