import { z } from 'zod';
import { BankEvent } from '../../core/events.js';
import { NextbestError } from '../../core/errors.js';
import type { Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';
import { sendError } from '../errors.js';
import type { FastifyInstance } from 'fastify';

const FieldIssueSchema = z.object({ field: z.string(), rule: z.string(), message: z.string() });
const ItemResultSchema = z.object({
  index: z.number().int(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  eventId: z.string().optional(),
  seq: z.number().int().optional().describe('Position in the log'),
  issues: z.array(FieldIssueSchema).optional(),
});
const BatchResponse = z.object({ accepted: z.number().int(), duplicates: z.number().int(), rejected: z.number().int(), results: z.array(ItemResultSchema) });
const BatchBody = z.union([BankEvent, z.array(BankEvent), z.object({ events: z.array(BankEvent) })]);
/** An event as stored: the event as sent (its payload per type, see POST /v1/events) with its log position. */
const StoredEventBody = z.looseObject({ seq: z.number().int(), recordedAt: z.string(), eventId: z.string(), customerId: z.string(), occurredAt: z.string(), schemaVersion: z.number(), type: z.string(), payload: z.record(z.string(), z.unknown()) });
const CustomerParams = z.object({ customerId: z.string().min(1).max(128) });

/** POST /v1/events and GET /v1/customers/{id}/events. */
export function eventRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/events',
      tag: 'ingestion',
      access: ['events:write'],
      perItemBody: true,
      summary: 'Ingest one event or a batch of up to 10,000',
      description:
        'Send one event object, an array of events, or `{ "events": [...] }`. Each item is accepted, a duplicate (same eventId and content: nothing changes), or rejected with the field and rule it broke; rejected items are quarantined (`GET /v1/ingest/rejects`) and never stored. The response comes only after accepted events are durable. A single event gets 201 (accepted), 200 (duplicate), 409 (eventId reused with other content) or 422 (rejected); a batch gets 200 with one result per item.',
      body: BatchBody,
      responses: {
        200: { description: 'Batch processed (see per-item results), or a single duplicate', schema: BatchResponse },
        201: { description: 'Single event accepted', schema: BatchResponse },
        409: { description: 'Single event: eventId reused with different content', schema: ErrorBody },
        413: { description: 'Body too large or batch over the limit', schema: ErrorBody },
        415: { description: 'Not application/json', schema: ErrorBody },
        422: { description: 'Single event rejected', schema: ErrorBody },
      },
    },
    async ({ request, reply }) => {
      const body = request.body;
      const single = body !== null && typeof body === 'object' && !Array.isArray(body) && !('events' in body);
      const items = Array.isArray(body) ? body : single ? [body] : (body as { events?: unknown })?.events;
      if (!Array.isArray(items)) {
        throw new NextbestError('VALIDATION_FAILED', 'the body must be an event, an array of events, or { "events": [...] }', { issues: [{ field: 'events', rule: 'type', message: 'must be an array' }] });
      }
      const max = engine.config.server.maxBatch;
      if (items.length > max) return sendError(reply, 'PAYLOAD_TOO_LARGE', `a batch holds at most ${max} events; this one has ${items.length}`);
      const report = await engine.ingest(items, { source: 'http' });
      const { stored: _stored, ...out } = report;
      if (!single) return reply.status(200).send(out);
      const r = report.results[0]!;
      if (r.status !== 'rejected') return reply.status(r.status === 'accepted' ? 201 : 200).send(out);
      const conflict = r.issues.some((i) => i.rule === 'conflict');
      return sendError(reply, conflict ? 'CONFLICT' : 'VALIDATION_FAILED', r.issues.map((i) => `${i.field || '(event)'}: ${i.message} (${i.rule})`).join('; '), { issues: r.issues });
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/customers/{customerId}/events',
      tag: 'customers',
      access: ['profiles:read'],
      summary: "A customer's events in event-time order",
      params: CustomerParams,
      query: z.object({
        from: z.iso.datetime({ offset: true }).optional().describe('Inclusive lower bound on occurredAt'),
        to: z.iso.datetime({ offset: true }).optional().describe('Exclusive upper bound on occurredAt'),
        limit: z.coerce.number().int().min(1).max(10_000).default(1000),
      }),
      responses: { 200: { description: 'Events, oldest first, each with its log position and time recorded', schema: z.object({ events: z.array(StoredEventBody) }) } },
    },
    async ({ params, query }) => {
      const events = await engine.customerEvents(params.customerId, {
        ...(query.from ? { fromT: Date.parse(query.from) } : {}),
        ...(query.to ? { toT: Date.parse(query.to) } : {}),
      });
      return { events: events.slice(0, query.limit).map((e) => ({ seq: e.seq, recordedAt: new Date(e.recordedAt).toISOString(), ...e.event })) };
    },
  );
}
