import { z } from 'zod';

/** One documented operation: the same zod schemas validate the request and write the docs. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete' | 'patch';
  /** OpenAPI-style path, e.g. `/v1/customers/{customerId}`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
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
      for (const [status, r] of Object.entries(op.responses)) {
        responses[status] = r.schema ? { description: r.description, content: { 'application/json': { schema: jsonSchema(r.schema) } } } : { description: r.description };
      }
      (paths[op.path] ??= {})[op.method] = {
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        tags: [op.tag],
        ...(parameters.length ? { parameters } : {}),
        ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: 'nextbest API', version: '0.1.0', description: 'Real-time next-best-action engine for banks and fintechs.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, schemas: { Error: jsonSchema(ErrorBody) } },
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
