import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { customerIdOf } from './limits.js';

/**
 * A keyed hash of a customer id for logs: the same id gives the same tag under one key, so
 * an operator holding the key can find a customer's requests, and nobody else can reverse it.
 */
export function logIdTag(key: Uint8Array, id: string): string {
  return createHmac('sha256', key).update(id, 'utf8').digest('hex').slice(0, 16);
}

/**
 * One line per request, written when it completes. It names the matched route's pattern
 * (`/v1/customers/:customerId/profile`), never the URL as sent: a URL spelled with
 * percent-encoding, doubled slashes, an absolute-form target or a query string cannot
 * smuggle an id into the logs. The customer appears only as a keyed hash.
 */
export function installRequestLog(app: FastifyInstance, key: Uint8Array): void {
  app.addHook('onResponse', (request, reply, done) => {
    // Below the logger's level nothing is built: the line would be dropped anyway.
    if (!(request.log as unknown as Logger).isLevelEnabled('info')) return done();
    const id = customerIdOf(request);
    const line: Record<string, unknown> = {
      event: 'http_request',
      method: request.method,
      route: request.is404 ? '(no route)' : request.routeOptions.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (request.principal) line.caller = request.principal.id;
    if (id !== null) line.customer = logIdTag(key, id);
    request.log.info(line, 'request completed');
    done();
  });
}
