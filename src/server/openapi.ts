import { z } from 'zod';
import type { Access } from './auth.js';

/** One documented operation: the same zod schemas validate the request and write the docs. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  /** OpenAPI-style path, e.g. `/v1/customers/{customerId}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** Who may call it: `public`, or any one of these scopes (admin always may). Checked on the matched route. */
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The request body: validated by `route()` before the handler runs (422 naming the field). */
  body?: z.ZodType;
  /**
   * Batch routes opt out of whole-body validation by saying so here: they validate each
   * item and report it on its own, so one bad item does not refuse the batch.
   */
  perItemBody?: true;
  /** The body's id field is filled from the path when missing, and must match it when sent. */
  bodyIdFromPath?: { field: string; param: string };
  responses: Record<number, { description: string; schema?: z.ZodType }>;
}

/** Collects operations as routes register, and renders them as an OpenAPI 3.1 document. */
export class ApiDocs {
  private readonly ops: Operation[] = [];

  add(op: Operation): void {
    this.ops.push(op);
  }

  operations(): readonly Operation[] {
    return this.ops;
  }

  document(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.ops) {
      const parameters = [
        ...paramsOf(op.params, 'path'),
        ...paramsOf(op.query, 'query'),
      ];
      const responses: Record<string, unknown> = {};
      const errorRef = { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      if (op.access !== 'public') {
        responses['401'] = { ...errorRef, description: 'No credentials, or a key or token that is unknown, expired or revoked (UNAUTHORIZED)' };
        responses['403'] = { ...errorRef, description: `The credentials lack the scope: ${op.access.join(' or ')} (FORBIDDEN)` };
        responses['429'] = { ...errorRef, description: 'Over the rate limit of the caller or the customer; see Retry-After (RATE_LIMITED)' };
      }
      for (const [status, r] of Object.entries(op.responses)) {
        responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema) } } } : { description: r.description };
      }
      (paths[op.path] ??= {})[op.method] = {
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: [op.tag],
        // OpenAPI lists alternatives: any one of the scopes will do; admin grants them all.
        security: op.access === 'public' ? [] : op.access.map((scope) => ({ bearer: [scope] })),
        ...(op.access === 'public' ? {} : { 'x-scopes': [...op.access] }),
        ...(parameters.length ? { parameters } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'nextbest API', version: '0.1.0', description: 'Real-time next-best-action engine for banks and fintechs.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from `nextbest keys create` (nbk_...), or a JWT from the configured identity provider with a `scope` claim. The `admin` scope grants every other.' } }, schemas: { Error: jsonSchema(ErrorBody) } },
      paths,
    };
  }
}

/** The body of every error response. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable error code; see docs/errors.md'),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string().optional(),
  }),
});

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
}

function paramsOf(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || !(s as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(s as z.ZodType),
    ...((s as z.ZodType).description ? { description: (s as z.ZodType).description } : {}),
  }));
}
