import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../core/errors.js';
import { fieldIssues } from '../core/validate.js';
import type { ApiDocs, Operation } from './openapi.js';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  /** The validated body; the raw body for routes that validate per item (`perItemBody`). */
  body: B;
  request: FastifyRequest;
  reply: FastifyReply;
}

type Infer<T> = T extends z.ZodType ? z.output<T> : Record<string, never>;
type BodyOf<O extends Operation> = O['perItemBody'] extends true ? unknown : O['body'] extends z.ZodType ? z.output<O['body']> : undefined;

/**
 * Registers a route and documents it from the same zod schemas: params, query and (unless
 * the route validates per item) the body are validated here, each a 422 naming the field.
 * The route's access travels in its config, where the access check reads it.
 */
export function route<O extends Operation>(
  app: FastifyInstance,
  docs: ApiDocs,
  op: O,
  handler: (ctx: RouteContext<Infer<O['params']>, Infer<O['query']>, BodyOf<O>>) => Promise<unknown>,
): void {
  docs.add(op);
  const url = op.path.replace(/\{(\w+)\}/g, ':$1');
  app.route({
    method: op.method.toUpperCase() as 'GET',
    url,
    config: { access: op.access },
    handler: async (request, reply) => {
      const params = parse(op.params, request.params, 'params') as Record<string, unknown>;
      const query = parse(op.query, request.query, 'query');
      const body = op.body && !op.perItemBody ? parseBody(op, request.body, params) : request.body;
      return handler({ params, query, body, request, reply } as RouteContext<Infer<O['params']>, Infer<O['query']>, BodyOf<O>>);
    },
  });
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return {};
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error, where));
  return parsed.data;
}

/** Field names in body issues are relative to the body (`payload.amount`), as callers send them. */
function parseBody(op: Operation, value: unknown, params: Record<string, unknown>): unknown {
  let body = value;
  const fill = op.bodyIdFromPath;
  if (fill && body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const sent = (body as Record<string, unknown>)[fill.field];
    if (sent !== undefined && sent !== params[fill.param]) throw new ValidationError([{ field: fill.field, rule: 'matches_path', message: `must equal the ${fill.param} in the URL` }]);
    body = { ...body, [fill.field]: params[fill.param] };
  }
  const parsed = op.body!.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error));
  return parsed.data;
}
