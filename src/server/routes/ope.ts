import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { OpeRequestSchema, type Engine } from '../../index.js';
import type { ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Interval = z.object({ estimate: z.number().nullable(), low: z.number().nullable(), high: z.number().nullable() });
const Report = z.object({
  rounds: z.number(),
  effectiveSampleSize: z.number().describe('(Σw)² / Σw² of the importance weights: how many logged decisions the estimate really rests on'),
  maxWeight: z.number(),
  estimates: z.object({ ips: Interval, snips: Interval, dm: Interval, dr: Interval, clipped_dr: Interval, switch_dr: Interval }),
});
const Result = z.object({
  candidate: z.object({ catalogueVersion: z.string().optional(), levers: z.boolean(), models: z.record(z.string(), z.string()).optional(), bandit: z.object({ budget: z.number() }).optional() }),
  decisions: z.object({ read: z.number(), used: z.number(), heldOut: z.number(), filtered: z.number() }),
  customers: z.number().describe('Customers the decisions belong to: the unit a bootstrap resample draws (unless `bootstrap: decision`)'),
  logged: z.object({ acceptance: z.number(), netValue: z.number() }).describe('What the logged decisions earned (on-policy)'),
  agreement: z.number().describe('Mean probability the candidate gives the logged first action'),
  unsupported: z.number().describe('Mean probability the candidate puts on choices the logged policy could not have made (only the reward model speaks for them)'),
  acceptance: Report,
  netValue: Report.describe('GBP per decision: the value of an acceptance less the contact cost'),
});

/** Off-policy evaluation of a candidate policy over the decision log. */
export function opeRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/ope',
      tag: 'experiments',
      // It reads every logged decision and its responses, as the audit reads do.
      access: ['audit:read'],
      summary: 'Off-policy evaluation: what a candidate catalogue, levers, model versions or bandit would have earned on the logged decisions (IPS, SNIPS, DM, DR, clipped and Switch-DR with bootstrap intervals)',
      body: OpeRequestSchema,
      responses: { 200: { description: 'Estimates of acceptance and net value per decision', schema: Result } },
    },
    async ({ body }) => engine.offPolicyEvaluation(body),
  );
}
