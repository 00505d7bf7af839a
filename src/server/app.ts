import { triggerRoutes } from './routes/triggers.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../index.js';
import { ApiDocs } from './openapi.js';
import { errorHandler, sendError } from './errors.js';
import { renderDocsPage } from './docsPage.js';
import { NextbestError } from '../core/errors.js';
import { locateJsonError } from '../core/jsonLocate.js';
import { installAccessControl } from './auth.js';
import { capConnections, installCors, installRateLimits, installSecurityHeaders, jsonTooDeepAt, serverTimeouts } from './limits.js';
import { installRequestLog } from './requestLog.js';
import { eventRoutes } from './routes/events.js';
import { customerRoutes } from './routes/customers.js';
import { opsRoutes } from './routes/ops.js';
import { profileRoutes } from './routes/profile.js';
import { decisionRoutes } from './routes/decisions.js';
import { modelRoutes } from './routes/models.js';
import { actionRoutes } from './routes/actions.js';
import { catalogueTryRoutes } from './routes/catalogueTry.js';
import { auditRoutes } from './routes/audit.js';
import { consoleRoutes } from './routes/console.js';
import { whoamiRoutes } from './routes/whoami.js';
import { experimentRoutes } from './routes/experiments.js';
import { fairnessRoutes, outcomeRoutes } from './routes/fairness.js';
import { opeRoutes } from './routes/ope.js';

export interface AppOptions {
  /** Fastify logger: a pino instance, or false for none (tests). */
  logger?: Logger | false;
  /**
   * `keys` (the default, and config's `server.auth`): every /v1 route needs credentials
   * with its scope. `none`: no checks, for tests and local use; served to loopback sockets only.
   */
  auth?: { mode: 'keys' | 'none' };
  /** The key of the hashed customer ids in logs; random per app when not given (serve keeps one in the data dir). */
  logIdKey?: Uint8Array;
  /** Wall-clock time for key expiry and token checks (the engine's clock may be simulated). */
  now?: () => number;
}

/** Builds the HTTP app around an engine, apart from `listen` so tests use `inject()`. Secure by default. */
export function buildApp(engine: Engine, options: AppOptions = {}): FastifyInstance & { apiDocs: ApiDocs } {
  const state = { closing: false };
  const server = engine.config.server;
  const logger = options.logger === false ? undefined : (options.logger ?? engine.logger);
  const app = Fastify({
    loggerInstance: logger,
    logger: options.logger === false ? false : undefined,
    // Our own line per request names the route pattern and a hashed customer; Fastify's would log the raw URL.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.bodyLimitBytes,
    // Customer ids run to 128 characters, percent-encoded up to three times that (Fastify's default is 100).
    routerOptions: { maxParamLength: 400 },
    return503OnClosing: true,
    ...serverTimeouts(server),
  } as never) as unknown as FastifyInstance;
  capConnections(app, server);
  app.setErrorHandler(errorHandler);
  // Only JSON is accepted (415 otherwise); our parser says where the JSON broke.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    const deep = jsonTooDeepAt(text, server.maxJsonDepth);
    if (deep >= 0) return done(new NextbestError('JSON_TOO_DEEP', `the JSON nests deeper than ${server.maxJsonDepth} levels (at offset ${deep})`, { offset: deep, maxDepth: server.maxJsonDepth }), undefined);
    try {
      done(null, text === '' ? undefined : JSON.parse(text));
    } catch (e) {
      const at = locateJsonError(text);
      done(new NextbestError('MALFORMED_JSON', `malformed JSON at line ${at.line}, column ${at.column} (found ${at.found}): ${(e as Error).message}`, { line: at.line, column: at.column, offset: at.offset }), undefined);
    }
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.replace(/\?.*$/, '')}`));

  const corsEnabled = installCors(app, server);
  installAccessControl(app, engine, { mode: options.auth?.mode ?? server.auth, now: options.now ?? Date.now, corsEnabled });
  installRateLimits(app, server);
  installSecurityHeaders(app);
  if (logger) installRequestLog(app, options.logIdKey ?? randomBytes(32));
  app.addHook('onClose', async () => {
    state.closing = true;
  });

  const docs = new ApiDocs();
  opsRoutes(app, docs, engine, state);
  eventRoutes(app, docs, engine);
  customerRoutes(app, docs, engine);
  profileRoutes(app, docs, engine);
  decisionRoutes(app, docs, engine);
  modelRoutes(app, docs, engine);
  actionRoutes(app, docs, engine);
  catalogueTryRoutes(app, docs, engine);
  auditRoutes(app, docs, engine);
  whoamiRoutes(app, docs, engine);
  consoleRoutes(app);
  experimentRoutes(app, docs, engine);
  fairnessRoutes(app, docs, engine);
  outcomeRoutes(app, docs, engine);
  opeRoutes(app, docs, engine);
  triggerRoutes(app, docs, engine);
  deliveryRoutes(app, docs, engine);

  app.get('/openapi.json', { config: { access: 'public' } }, async () => docs.document());
  app.get('/docs', { config: { access: 'public' } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderDocsPage(docs.document())));
  return Object.assign(app, { apiDocs: docs });
}
