import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../engine.js';
import type { ApiDocs } from '../openapi.js';
import { route } from '../route.js';
import { sendError } from '../errors.js';

const Reject = z.object({
  id: z.number(),
  receivedAt: z.string(),
  source: z.string(),
  eventId: z.string().nullable(),
  customerId: z.string().nullable(),
  issues: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })),
  raw: z.string(),
});

/** Health, readiness and the ingestion quarantine. */
export function opsRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine, state: { closing: boolean }): void {
  route(app, docs, { method: 'get', path: '/healthz', tag: 'operations', access: 'public', summary: 'Liveness: the process answers', responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/readyz',
      tag: 'operations',
      access: 'public',
      summary: 'Readiness: the stores answer and the server is not shutting down',
      responses: { 200: { description: 'Ready', schema: z.object({ status: z.literal('ready'), events: z.number(), customers: z.number(), rejects: z.number() }) }, 503: { description: 'Not ready' } },
    },
    async ({ reply }) => {
      if (state.closing || !engine.isOpen) return sendError(reply, 'NOT_READY', 'shutting down');
      return { status: 'ready' as const, ...(await engine.stats()) };
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/ingest/rejects',
      tag: 'ingestion',
      access: ['events:write'],
      summary: 'The quarantine: rejected items with the field and rule each broke, newest first',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        before: z.coerce.number().int().min(1).optional().describe('Page backwards: items with id below this'),
        source: z.string().max(200).optional().describe('http, library, file:<name>, stream'),
      }),
      responses: { 200: { description: 'Rejected items', schema: z.object({ rejects: z.array(Reject), total: z.number() }) } },
    },
    async ({ query }) => {
      const items = await engine.rejects({ limit: query.limit, ...(query.before !== undefined ? { beforeId: query.before } : {}), ...(query.source !== undefined ? { source: query.source } : {}) });
      return { rejects: items.map((r) => ({ ...r, receivedAt: new Date(r.receivedAt).toISOString() })), total: (await engine.stats()).rejects };
    },
  );
}
