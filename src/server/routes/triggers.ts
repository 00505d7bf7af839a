import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { JOURNEY_STATUSES, type Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ triggerId: z.string().min(1).max(64) });
/** A trigger as stored: `oncePer` in milliseconds (a PUT of it reads it back). */
const TriggerOut = z.looseObject({ id: z.string(), kind: z.enum(['event', 'threshold', 'absence', 'life_event']), enabled: z.boolean(), priority: z.number(), oncePer: z.number().describe('ms') });
const TriggerIn = z.record(z.string(), z.unknown()).describe('A trigger (docs/triggers.md): id, kind, consider, channels, oncePer (`30d`, `12h`, `90m` or ms), and per kind events / measure+below|above|enters / days / kinds; condition in CEL');
const Fire = z.object({
  fire: z.looseObject({ fireId: z.string(), triggerId: z.string(), customerId: z.string(), eventId: z.string(), at: z.number(), channels: z.array(z.string()), reason: z.string() }),
  outcome: z.looseObject({ status: z.enum(['pending', 'decided', 'nothing_chosen']) }),
});
const READ = ['catalogue:write', 'audit:read'] as const;
const Journey = z.object({
  journeyId: z.string(),
  customerId: z.string(),
  triggerId: z.string(),
  actionId: z.string(),
  steps: z.array(
    z.object({
      channel: z.string(),
      afterMs: z.number(),
      on: z.object({ events: z.array(z.string()), condition: z.string().optional(), withinMs: z.number() }).optional().describe('Set: the step runs at the customer\'s next such event within withinMs, or lapses'),
    }),
  ),
  decisionIds: z.array(z.string()),
  done: z.number().describe('Steps sent, the trigger\'s own decision included'),
  nextAt: z.number().nullable().describe('When the next step is due; for a step waiting for an event, its deadline'),
  waitingFrom: z.number().nullable().optional().describe('For a step waiting for an event: from when the event counts'),
  lapsed: z.array(z.number()).optional().describe('Steps whose event did not come in time'),
  status: z.enum(JOURNEY_STATUSES),
  reason: z.string().nullable(),
  startedAt: z.number(),
  updatedAt: z.number(),
});

/** Triggers: the stored set (edited here, each edit compiled first and audited), their fires, a test against a history. */
export function triggerRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(app, docs, { method: 'get', path: '/v1/triggers', tag: 'triggers', access: READ, summary: 'The triggers in force', responses: { 200: { description: 'Every trigger', schema: z.object({ triggers: z.array(TriggerOut) }) } } }, async () => ({
    triggers: engine.triggers.list(),
  }));

  route(
    app,
    docs,
    { method: 'get', path: '/v1/triggers/{triggerId}', tag: 'triggers', access: READ, summary: 'One trigger', params: Params, responses: { 200: { description: 'The trigger', schema: TriggerOut }, 404: { description: 'No such trigger', schema: ErrorBody } } },
    async ({ params }) => engine.triggers.get(params.triggerId),
  );

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/triggers/{triggerId}',
      tag: 'triggers',
      access: ['catalogue:write'],
      summary: 'Create or replace a trigger: checked, its CEL condition compiled with the rest, stored, audited; applies from the next event',
      params: Params,
      body: TriggerIn,
      bodyIdFromPath: { field: 'id', param: 'triggerId' },
      responses: { 200: { description: 'Saved', schema: z.object({ trigger: TriggerOut, created: z.boolean() }) }, 422: { description: 'Invalid trigger or a condition that does not compile', schema: ErrorBody } },
    },
    async ({ body, request }) => engine.triggers.put(body, { actor: request.principal?.id ?? 'anonymous' }),
  );

  route(
    app,
    docs,
    { method: 'delete', path: '/v1/triggers/{triggerId}', tag: 'triggers', access: ['catalogue:write'], summary: 'Remove a trigger (audited)', params: Params, responses: { 200: { description: 'Removed', schema: z.object({ deleted: z.string() }) }, 404: { description: 'No such trigger', schema: ErrorBody } } },
    async ({ params, request }) => {
      await engine.triggers.delete(params.triggerId, { actor: request.principal?.id ?? 'anonymous' });
      return { deleted: params.triggerId };
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/triggers/fires',
      tag: 'triggers',
      access: ['audit:read'],
      summary: 'The newest trigger fires (or one customer\'s) with their outcome: the decision and channel, or nothing chosen',
      query: z.object({ customerId: z.string().min(1).max(128).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'Fires, newest first', schema: z.object({ fires: z.array(Fire) }) } },
    },
    async ({ query }) => ({ fires: await engine.triggers.fires({ ...(query.customerId !== undefined ? { customerId: query.customerId } : {}), limit: query.limit }) }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/customers/{customerId}/journeys',
      tag: 'triggers',
      access: ['profiles:read', 'audit:read'],
      summary: "A customer's journeys (a trigger's action followed up on other channels): steps sent, what is next and when, how each ended",
      params: z.object({ customerId: z.string().min(1).max(128) }),
      responses: { 200: { description: 'Journeys, oldest first', schema: z.object({ journeys: z.array(Journey) }) } },
    },
    async ({ params }) => ({ journeys: await engine.triggers.journeys(params.customerId) }),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/triggers/test',
      tag: 'triggers',
      access: READ,
      summary: "What the triggers in force (or the set sent) would have done over a customer's history: fires and what was held back, and why. Decides nothing",
      body: z.object({ customerId: z.string().min(1).max(128), triggers: z.array(z.record(z.string(), z.unknown())).max(500).optional(), until: z.iso.datetime({ offset: true }).optional() }).strict(),
      responses: { 200: { description: 'The replay', schema: z.object({ events: z.number(), fires: z.array(Fire.shape.fire), heldBack: z.array(z.object({ triggerId: z.string(), reason: z.string(), eventId: z.string() })) }) }, 404: { description: 'No such customer', schema: ErrorBody }, 422: { description: 'Invalid triggers', schema: ErrorBody } },
    },
    async ({ body }) => engine.triggers.test(body.customerId, { ...(body.triggers ? { triggers: body.triggers } : {}), ...(body.until ? { until: Date.parse(body.until) } : {}) }),
  );
}
