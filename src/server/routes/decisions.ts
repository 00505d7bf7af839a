import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { DecideRequestSchema, DecisionPageSchema, DecisionRecordSchema, DecisionSearchSchema, DecisionSummarySchema, LoggedDecisionSchema, decisionSummary, type Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ decisionId: z.string().min(1).max(128) });

/** The whole record, as logged; the summary, as a channel gets it. Both from decisioning/record.ts. */
const Decision = DecisionRecordSchema;
const Summary = DecisionSummarySchema;

/** Decisions: decide, read a logged decision, replay it. */
export function decisionRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/decisions',
      tag: 'decisions',
      access: ['decisions:write'],
      summary: 'Decide the next best actions for a customer on a channel',
      description:
        'Runs consent, eligibility, applicability, suitability, contact and volume policies over the catalogue, scores what passes (propensity × context weight × value × levers) and returns the top N with the explanation of the winner. The decision is logged (inputs, every candidate and every exclusion: read it at `record`) and counts towards the contact caps. `?view=full` returns the whole logged record instead.',
      body: DecideRequestSchema,
      query: z.object({ view: z.enum(['summary', 'full']).default('summary').describe('summary: what a channel needs; full: the whole decision record as logged') }),
      responses: { 200: { description: 'The decision: a summary, or with view=full the whole record', schema: z.union([Summary, Decision]) }, 404: { description: 'No such customer', schema: ErrorBody }, 422: { description: 'Invalid request', schema: ErrorBody } },
    },
    async ({ body, query }) => {
      const record = await engine.decide(body);
      return query.view === 'summary' ? decisionSummary(record) : record;
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/decisions',
      tag: 'decisions',
      access: ['audit:read'],
      summary: 'Search logged decisions by customer, chosen action, channel and time',
      description: 'Newest first, one page at a time: pass `next` back as `cursor`. Each item is a listing; read the whole record at `/v1/decisions/{decisionId}`.',
      query: DecisionSearchSchema,
      responses: { 200: { description: 'A page of decisions', schema: DecisionPageSchema }, 400: { description: 'A bad cursor or time range', schema: ErrorBody }, 422: { description: 'Invalid query', schema: ErrorBody } },
    },
    async ({ query }) => engine.searchDecisions(query),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/decisions/{decisionId}',
      tag: 'decisions',
      // A channel reads back what it was told; reviewers read every decision.
      access: ['audit:read', 'decisions:write'],
      summary: 'Read a logged decision: inputs, model versions, scores, policy outcomes, winner, explanation and linked responses',
      params: Params,
      responses: { 200: { description: 'The decision record with the responses linked to it', schema: LoggedDecisionSchema }, 404: { description: 'No such decision', schema: ErrorBody } },
    },
    async ({ params }) => engine.decision(params.decisionId),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/decisions/{decisionId}/replay',
      tag: 'decisions',
      access: ['audit:read'],
      summary: 'Replay a logged decision from its logged inputs and compare with what was decided',
      params: Params,
      responses: {
        200: { description: 'Whether the replay gives the same result, and any differences', schema: z.object({ decisionId: z.string(), identical: z.boolean(), differences: z.array(z.string()), replayed: Decision.pick({ candidates: true, chosen: true, explanation: true }) }) },
        404: { description: 'No such decision', schema: ErrorBody },
      },
    },
    async ({ params }) => engine.replayDecision(params.decisionId),
  );
}
