import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import type { ApiDocs, Operation } from './openapi.js';

export interface RouteContext<P, Q> {
  params: P;
  query: Q;
  request: FastifyRequest;
  reply: FastifyReply;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : Record<string, never>;

/**
 * Registers a route and documents it from the same zod schemas: params and query are
 * validated here (422 naming the field), bodies by the handler (batches report per item).
 */
export function route<O extends Operation>(
  app: FastifyInstance,
  docs: ApiDocs,
  op: O,
  handler: (ctx: RouteContext<Infer<O['params']>, Infer<O['query']>>) => Promise<unknown>,
): void {
  docs.add(op);
  const url = op.path.replace(/\{(\w+)\}/g, ':$1');
  app.route({
    method: op.method.toUpperCase() as 'GET',
    url,
    handler: async (request, reply) => {
      const params = parse(op.params, request.params, 'params');
      const query = parse(op.query, request.query, 'query');
      return handler({ params, query, request, reply } as RouteContext<Infer<O['params']>, Infer<O['query']>>);
    },
  });
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return {};
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error, where));
  return parsed.data;
}
