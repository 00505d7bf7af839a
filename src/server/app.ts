import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Engine } from '../engine.js';
import { ApiDocs } from './openapi.js';
import { errorHandler, sendError } from './errors.js';
import { renderDocsPage } from './docsPage.js';
import { NextbestError } from '../core/errors.js';
import { locateJsonError } from '../core/jsonLocate.js';
import { eventRoutes } from './routes/events.js';
import { customerRoutes } from './routes/customers.js';
import { opsRoutes } from './routes/ops.js';
import { profileRoutes } from './routes/profile.js';
import { decisionRoutes } from './routes/decisions.js';
import { modelRoutes } from './routes/models.js';
import { actionRoutes } from './routes/actions.js';
import { consoleRoutes } from './routes/console.js';
import { whoamiRoutes } from './routes/whoami.js';

export interface AppOptions {
  /** Fastify logger: a pino instance, or false for none (tests). */
  logger?: Logger | false;
}

/** Customer ids in paths are pseudonymous but still personal data: logs show the route, not the id. */
const redactUrl = (url: string) => url.replace(/\/customers\/[^/?]+/g, '/customers/:id').replace(/\?.*$/, '');

/** Builds the HTTP app around an engine, apart from `listen` so tests use `inject()`. */
export function buildApp(engine: Engine, options: AppOptions = {}): FastifyInstance & { apiDocs: ApiDocs } {
  const state = { closing: false };
  const base = options.logger === false ? undefined : (options.logger ?? engine.logger);
  const logger = base?.child({}, { serializers: { req: (req: { method: string; url: string; id: string }) => ({ method: req.method, url: redactUrl(req.url), id: req.id }) } });
  const app = Fastify({
    loggerInstance: logger,
    logger: options.logger === false ? false : undefined,
    bodyLimit: engine.config.server.bodyLimitBytes,
    return503OnClosing: true,
  } as never) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler);
  // Only JSON is accepted (415 otherwise); our parser says where the JSON broke.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch (e) {
      const at = locateJsonError(body as string);
      done(new NextbestError('MALFORMED_JSON', `malformed JSON at line ${at.line}, column ${at.column} (found ${at.found}): ${(e as Error).message}`, { line: at.line, column: at.column, offset: at.offset }), undefined);
    }
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 'NOT_FOUND', `no route ${request.method} ${redactUrl(request.url)}`));

  const keys = new Set(engine.config.server.apiKeys);
  if (keys.size > 0) {
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/v1/')) return;
      const auth = request.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !keys.has(auth.slice(7))) return sendError(reply, 'UNAUTHORIZED', 'send Authorization: Bearer <api key>');
    });
  }
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
  whoamiRoutes(app, docs, engine);
  consoleRoutes(app);

  app.get('/openapi.json', async () => docs.document());
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(renderDocsPage(docs.document())));
  return Object.assign(app, { apiDocs: docs });
}
