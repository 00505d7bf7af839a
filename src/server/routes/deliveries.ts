import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { OUTBOX_STATUSES, type Engine } from '../../index.js';
import { Channel } from '../../core/channels.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Key = z.object({ key: z.string().min(1).max(400).describe('The idempotency key: decisionId:actionId:channel') });
const Entry = z.object({
  key: z.string(),
  decisionId: z.string(),
  actionId: z.string(),
  customerId: z.string(),
  channel: z.string(),
  worklist: z.string(),
  message: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
  expiresAt: z.number().optional(),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number(),
  dueAt: z.number(),
  leasedBy: z.string().nullable(),
  leaseUntil: z.number().nullable(),
  lastError: z.string().nullable(),
  settledAt: z.number().nullable(),
});
const Counts = z.record(z.enum(OUTBOX_STATUSES), z.number());
const Quantiles = z.object({ p50: z.number(), p90: z.number(), p99: z.number(), max: z.number(), samples: z.number() }).nullable();
const Metrics = z.object({
  fires: z.record(z.string(), z.object({ decided: z.number(), nothing_chosen: z.number() })),
  deliveries: z.object({ enqueued: z.number(), delivered: z.number(), failed: z.number(), cancelled: z.number(), retried: z.number() }),
  latencyMs: z.object({ fireToDecision: Quantiles, decisionToDelivery: Quantiles }),
  outbox: Counts,
  circuits: z.record(z.string(), z.enum(['closed', 'open', 'half_open'])),
  pushChannels: z.array(z.string()),
});
const PULL = ['decisions:write', 'deliveries:write'] as const;
const Scope = z
  .object({ customerId: z.string().min(1).max(128).optional(), worklist: z.string().min(1).max(128).optional(), limit: z.coerce.number().int().min(1).max(100).default(20) })
  .refine((s) => s.customerId !== undefined || s.worklist !== undefined, { message: 'name a customerId or a worklist', path: ['customerId'] });

/** The outbox: deliveries by status, dead letters and their retry, metrics, and the pull channels' claim and acknowledge. */
export function deliveryRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  const d = engine.deliveries;
  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/deliveries',
      tag: 'deliveries',
      access: ['audit:read'],
      summary: 'Deliveries, oldest first, by status (`dead` is the dead-letter list), customer or channel, with the counts per status',
      query: z.object({ status: z.enum(OUTBOX_STATUSES).optional(), customerId: z.string().min(1).max(128).optional(), channel: Channel.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'Deliveries', schema: z.object({ counts: Counts, deliveries: z.array(Entry) }) } },
    },
    async ({ query }) => ({ counts: await d.counts(), deliveries: await d.list(stripUndefined(query)) }),
  );

  route(app, docs, { method: 'get', path: '/v1/deliveries/metrics', tag: 'deliveries', access: ['audit:read'], summary: 'Trigger fires, deliveries, retries, dead letters, latencies, each channel\'s circuit', responses: { 200: { description: 'Metrics since start', schema: Metrics } } }, async () =>
    d.metrics(),
  );

  route(
    app,
    docs,
    { method: 'get', path: '/v1/deliveries/{key}', tag: 'deliveries', access: ['audit:read'], summary: 'One delivery', params: Key, responses: { 200: { description: 'The delivery', schema: Entry }, 404: { description: 'No such delivery', schema: ErrorBody } } },
    async ({ params }) => d.get(params.key),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/deliveries/{key}/retry',
      tag: 'deliveries',
      access: ['deliveries:write'],
      summary: 'Put a dead-lettered delivery back (due now, attempts reset); audited',
      params: Key,
      responses: { 200: { description: 'Pending again', schema: Entry }, 404: { description: 'No such delivery', schema: ErrorBody }, 409: { description: 'Not dead-lettered', schema: ErrorBody } },
    },
    async ({ params, request }) => d.retry(params.key, { actor: request.principal?.id ?? 'anonymous' }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/deliveries/pull/{channel}',
      tag: 'deliveries',
      access: PULL,
      summary: 'What is pending on a pull channel for a customer or a worklist, without claiming it (a badge count)',
      params: z.object({ channel: Channel }),
      query: Scope,
      responses: { 200: { description: 'Pending deliveries', schema: z.object({ deliveries: z.array(Entry) }) }, 404: { description: 'Not a pull channel', schema: ErrorBody } },
    },
    async ({ params, query }) => ({ deliveries: await d.pull.pending(params.channel, stripUndefined(query)) }),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/deliveries/pull/{channel}/claim',
      tag: 'deliveries',
      access: PULL,
      summary: 'Claim what is due on a pull channel for a customer or a worklist: held for `by` for 10 minutes, then due again unless acknowledged',
      params: z.object({ channel: Channel }),
      body: z.object({ customerId: z.string().min(1).max(128).optional(), worklist: z.string().min(1).max(128).optional(), limit: z.number().int().min(1).max(100).default(20), by: z.string().min(1).max(128) }).strict().refine((s) => s.customerId !== undefined || s.worklist !== undefined, { message: 'name a customerId or a worklist', path: ['customerId'] }),
      responses: { 200: { description: 'Claimed deliveries', schema: z.object({ deliveries: z.array(Entry) }) }, 404: { description: 'Not a pull channel', schema: ErrorBody } },
    },
    async ({ params, body }) => {
      const { by, ...scope } = body;
      return { deliveries: await d.pull.claim(params.channel, stripUndefined(scope), by) };
    },
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/deliveries/{key}/ack',
      tag: 'deliveries',
      access: PULL,
      summary: 'Acknowledge a claimed delivery: shown to the customer (delivered) or not (failed: dead-lettered, its contact released)',
      params: Key,
      body: z.object({ by: z.string().min(1).max(128), outcome: z.enum(['delivered', 'failed']), error: z.string().max(300).optional() }).strict(),
      responses: { 200: { description: 'Settled', schema: Entry }, 404: { description: 'No such delivery', schema: ErrorBody }, 409: { description: 'Not claimed by `by`', schema: ErrorBody } },
    },
    async ({ params, body }) => d.pull.acknowledge(params.key, body.by, body.outcome, body.error),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/deliveries/{key}/release',
      tag: 'deliveries',
      access: PULL,
      summary: 'Give a claimed delivery back, due again now (the customer could not be reached)',
      params: Key,
      body: z.object({ by: z.string().min(1).max(128), reason: z.string().min(1).max(300) }).strict(),
      responses: { 200: { description: 'Released', schema: z.object({ released: z.boolean() }) } },
    },
    async ({ params, body }) => ({ released: await d.pull.release(params.key, body.by, body.reason) }),
  );
}

function stripUndefined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}
