import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { NextbestError } from '../../core/errors.js';
import { DecideRequestSchema, decisionSummary, type Engine } from '../../engine.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ decisionId: z.string().min(1).max(128) });

const Chosen = z.object({ actionId: z.string(), name: z.string(), family: z.string(), channel: z.string(), rank: z.number(), priority: z.number(), propensity: z.number(), headline: z.string(), body: z.string(), disclosure: z.string().optional(), treatment: z.record(z.string(), z.string()) });
/** What the whole record and the summary both carry. */
const Header = {
  formatVersion: z.literal(1),
  decisionId: z.string(),
  customerId: z.string(),
  channel: z.string(),
  decidedAt: z.string(),
  catalogueVersion: z.string(),
  chosen: z.array(Chosen),
};
const Decision = z.looseObject({
  ...Header,
  explanation: z.looseObject({ excluded: z.array(z.object({ actionId: z.string(), kind: z.string(), rule: z.string(), reason: z.string() })) }),
  candidates: z.array(z.looseObject({ actionId: z.string(), status: z.enum(['chosen', 'ranked', 'excluded']) })),
  inputs: z.looseObject({}),
});

const Summary = z.object({
  ...Header,
  explanation: z.object({ winner: z.looseObject({ actionId: z.string(), customerSentence: z.string() }).optional(), excludedCount: z.number() }),
  record: z.string().describe('path of the whole logged record'),
});

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
      path: '/v1/decisions/{decisionId}',
      tag: 'decisions',
      // A channel reads back what it was told; reviewers read every decision.
      access: ['audit:read', 'decisions:write'],
      summary: 'Read a logged decision: inputs, model versions, scores, policy outcomes, winner, explanation and linked responses',
      params: Params,
      responses: { 200: { description: 'The decision record', schema: Decision.extend({ responses: z.array(z.object({ actionId: z.string(), channel: z.string(), response: z.string(), at: z.string() })) }) }, 404: { description: 'No such decision', schema: ErrorBody } },
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
        200: { description: 'Whether the replay gives the same result, and any differences', schema: z.object({ decisionId: z.string(), identical: z.boolean(), differences: z.array(z.string()), replayed: z.looseObject({}) }) },
        404: { description: 'No such decision', schema: ErrorBody },
      },
    },
    async ({ params }) => engine.replayDecision(params.decisionId),
  );
}
