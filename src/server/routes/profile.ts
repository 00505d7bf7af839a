import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { ProfileSchema, ProfileScoresSchema, type Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';
import { sendError } from '../errors.js';

const Params = z.object({ customerId: z.string().min(1).max(128) });

/** The profile with the champions' scores, as `engine.profile()` returns it. */
const ServedProfile = ProfileSchema.extend({
  scores: ProfileScoresSchema.nullable().describe(
    'Scores of the champion models for this profile: segment, churn risk (90-day probability and Cox risks at 30/90/365 days), prepayment, CLV and P(alive), financial stress state, propensity per action family; null before any event.',
  ),
});
const DefinitionSchema = z.object({
  name: z.string(),
  kind: z.enum(['aggregate', 'derived']),
  scope: z.enum(['customer', 'market']).describe("customer: from the customer's own events; market: from the global market events, one value for every customer at a time"),
  description: z.string(), unit: z.string().nullable(), definition: z.record(z.string(), z.unknown()) });

/** Behavioural profiles (the online feature store) and the feature definitions behind them. */
export function profileRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/customers/{customerId}/profile',
      tag: 'features',
      access: ['profiles:read'],
      summary: "A customer's behavioural profile: each feature's value and as-of time",
      description:
        'Windows are whole UTC days up to the as-of time: a 30-day window holds events on the as-of day (up to as-of) and the 29 days before. As of the latest event by default; `asOf=now` uses the server clock; an explicit time may not be before the latest event. Market-scope features (marked `scope: "market"`) read the global market events up to the same as-of time.',
      params: Params,
      query: z.object({
        asOf: z
          .union([z.literal('now'), z.iso.datetime({ offset: true })])
          .optional()
          .describe('"now", or an ISO 8601 time at or after the latest event'),
      }),
      responses: { 200: { description: 'The profile', schema: ServedProfile }, 404: { description: 'No such customer', schema: ErrorBody }, 422: { description: 'asOf before the latest event', schema: ErrorBody } },
    },
    async ({ params, query, reply }) => {
      const asOf = query.asOf === undefined ? undefined : query.asOf === 'now' ? ('now' as const) : Date.parse(query.asOf);
      const profile = await engine.profile(params.customerId, asOf === undefined ? {} : { asOf });
      if (profile.latestEventAt === null && !(await engine.customer(params.customerId))) return sendError(reply, 'NOT_FOUND', `no customer ${params.customerId}`);
      return profile;
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/features',
      tag: 'features',
      access: ['profiles:read'],
      summary: 'The feature definitions in use (name, meaning, definition)',
      responses: { 200: { description: 'Definitions in order', schema: z.object({ version: z.string(), features: z.array(DefinitionSchema) }) } },
    },
    async () => ({
      version: engine.features.version,
      features: engine.features.info.map((f) => ({ name: f.name, kind: f.kind, scope: f.scope, description: f.description, unit: f.unit ?? null, definition: f.definition as Record<string, unknown> })),
    }),
  );
}
