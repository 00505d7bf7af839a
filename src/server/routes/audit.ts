import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine.js';
import type { AuditEntry } from '../../index.js';
import type { ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Entry = z.object({
  seq: z.number(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
}) satisfies z.ZodType<AuditEntry>;

/** The audit trail of administrative acts, a page at a time, and its chain check. */
export function auditRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/audit',
      tag: 'audit',
      access: ['audit:read'],
      summary: 'Administrative acts (catalogue, levers, models, keys, erasure, export, retention) in order, with actor and before/after, hash-chained',
      query: z.object({
        after: z.coerce.number().int().min(0).default(0).describe('The `next` cursor of the previous page: entries with a greater seq'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        verify: z.enum(['true', 'false']).default('false').describe('Also walk the whole chain and report the first broken entry'),
      }),
      responses: {
        200: {
          description: 'A page of entries; `next` is null on the last page',
          schema: z.object({ entries: z.array(Entry), next: z.number().nullable(), chain: z.object({ ok: z.boolean(), entries: z.number(), brokenAt: z.number().optional(), reason: z.string().optional(), head: z.string().optional() }).optional() }),
        },
      },
    },
    async ({ query }) => {
      // One more than asked tells whether another page follows.
      const rows = await engine.audit.list({ afterSeq: query.after, limit: query.limit + 1 });
      const entries = rows.slice(0, query.limit);
      const next = rows.length > query.limit ? entries.at(-1)!.seq : null;
      return { entries, next, ...(query.verify === 'true' ? { chain: await engine.audit.verify() } : {}) };
    },
  );
}
