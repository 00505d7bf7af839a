import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../index.js';
import type { ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Interval = z.tuple([z.number(), z.number()]);
const Check = z.looseObject({ reference: z.string(), threshold: z.number(), groups: z.array(z.looseObject({ group: z.string(), n: z.number(), selected: z.number(), ratio: z.number(), interval: Interval, belowThreshold: z.boolean() })), alert: z.boolean() }).nullable();
const Report = z.object({
  customers: z.number(),
  decisions: z.number(),
  attributes: z.array(z.string()).describe('age_band always; sex and the intersection `age_band & sex` when customer records carry `attributes.sex` (or `gender`)'),
  families: z.array(
    z.object({
      family: z.string(),
      attribute: z.string(),
      groups: z.array(
        z.object({
          group: z.string(),
          customers: z.number(),
          selected: z.number(),
          selectionRate: z.number(),
          selectionInterval: Interval,
          requiredExclusions: z.number().describe('Customers excluded from the family by eligibility, suitability or consent rules (law or product rules)'),
          requiredRules: z.record(z.string(), z.number()),
          accepted: z.number(),
          acceptanceRate: z.number().nullable(),
          acceptanceInterval: Interval.nullable(),
        }),
      ),
      selection: Check,
      selectionUnexplained: Check.describe('Four-fifths among customers no required rule excluded'),
      acceptance: Check,
    }),
  ),
  alerts: z.array(z.object({ family: z.string(), attribute: z.string(), group: z.string(), measure: z.enum(['selection', 'acceptance']), ratio: z.number(), interval: Interval, significant: z.boolean() })),
});

/** The decision-fairness audit over the decision log. */
export function fairnessRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/fairness',
      tag: 'experiments',
      access: ['audit:read'],
      summary: 'Decision fairness: selection and acceptance rate per action family per group, the four-fifths rule with intervals and counts, exclusions required by law or product rules reported apart',
      query: z.object({ days: z.coerce.number().int().min(1).max(3650).default(90).describe('Decisions of the last N days') }),
      responses: { 200: { description: 'The report; `alerts` lists ratios below 0.8', schema: Report } },
    },
    async ({ query }) => engine.decisionFairness(query.days),
  );
}

const Comparison = z.union([z.looseObject({ contacted: z.number(), comparison: z.number(), difference: z.number(), interval: Interval, pValue: z.number(), worse: z.boolean() }), z.object({ unavailable: z.string() })]);
const Outcomes = z.object({
  from: z.number(),
  until: z.number(),
  customers: z.number(),
  contacted: z.number(),
  heldOut: z.number().describe('Customers every decision of whom was held out (an experiment holdout or the universal control)'),
  vulnerable: z.number(),
  lines: z.array(z.object({ group: z.string().describe('An action family, or targeted_support'), segment: z.enum(['all', 'vulnerable', 'not_vulnerable']), contacted: z.number(), comparison: z.number(), measures: z.record(z.string(), Comparison) })),
  vulnerableGaps: z.array(z.object({ group: z.string(), measure: z.string(), differenceInDifferences: z.number(), interval: Interval, worse: z.boolean() })),
  alerts: z.array(z.object({ group: z.string(), segment: z.string(), measure: z.string(), difference: z.number(), interval: Interval })),
});

/** Customer-outcome monitoring (Consumer Duty). */
export function outcomeRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/outcomes',
      tag: 'experiments',
      access: ['audit:read'],
      summary: 'Customer outcomes (Consumer Duty): per action family and targeted support, contacted customers against held-out ones the engine would have contacted — savings change, arrears, complaints, overdrawn, silent — overall, vulnerable and not; alerts when an outcome is worse',
      query: z.object({ days: z.coerce.number().int().min(1).max(3650).default(90).describe('Decisions of the last N days') }),
      responses: { 200: { description: 'The report; `alerts` lists outcomes significantly worse for the contacted group or for vulnerable customers', schema: Outcomes } },
    },
    async ({ query }) => engine.customerOutcomes(query.days),
  );
}
