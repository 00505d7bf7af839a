import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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

/**
 * Fixed-window request counters, counted as @fastify/rate-limit's local store counts them (a
 * window opens at a key's first request and lasts `windowMs`), but synchronously: two
 * limiters on every request cost two promise chains and an LRU each with the plugin. Holds
 * at most `maxKeys` keys; windows are kept in the order they opened, so the ones that have
 * ended are dropped first, and only a full map of live windows drops the oldest.
 */
export class RateWindows {
  private readonly windows = new Map<string, { n: number; start: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`: 0 when it is within the limit, else the seconds until its window ends (at least 1). */
  take(key: string): number {
    const t = this.now();
    let w = this.windows.get(key);
    if (w === undefined || w.start + this.windowMs <= t) {
      if (w !== undefined) this.windows.delete(key);
      else if (this.windows.size >= this.maxKeys) this.evict(t);
      w = { n: 0, start: t };
      this.windows.set(key, w);
    }
    w.n++;
    return w.n > this.max ? Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000)) : 0;
  }

  /** Keys counted now (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private evict(t: number): void {
    for (const [key, w] of this.windows) {
      if (w.start + this.windowMs > t) break;
      this.windows.delete(key);
    }
    if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }
}

/**
 * Rate limits per caller after authentication, and per customer id (path, or the body of a
 * decision request) once the body is parsed. Over the limit: 429 RATE_LIMITED with
 * Retry-After. Both checks are synchronous hooks.
 */
export function installRateLimits(app: FastifyInstance, server: ServerConfig): void {
  const { perKey, perCustomer } = server.rateLimit;
  const refuse = (reply: FastifyReply, ttl: number, what: string) => {
    reply.header('retry-after', String(ttl));
    sendError(reply, 'RATE_LIMITED', `too many requests ${what}; retry after ${ttl} s`);
  };
  if (perKey.max > 0) {
    const byCaller = new RateWindows(perKey.max, perKey.windowSeconds * 1000);
    app.addHook('onRequest', (request, reply, done) => {
      if (!request.principal) return done(); // public routes and 404s
      const wait = byCaller.take(`caller:${request.principal.id}`);
      if (wait > 0) return refuse(reply, wait, 'from this caller');
      done();
    });
  }
  if (perCustomer.max > 0) {
    const byCustomer = new RateWindows(perCustomer.max, perCustomer.windowSeconds * 1000);
    app.addHook('preHandler', (request, reply, done) => {
      const id = customerIdOf(request);
      if (id === null || !request.principal) return done();
      const wait = byCustomer.take(`customer:${id}`);
      if (wait > 0) return refuse(reply, wait, 'for this customer');
      done();
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
