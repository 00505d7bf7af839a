import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { CatalogueSchema, DecideRequestSchema, WhatIfOptionsSchema, type Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

/** At most this many customers per dry run: it decides twice per customer, on the request. */
export const DRY_RUN_MAX_CUSTOMERS = 50;

const Exclusion = z.object({ actionId: z.string(), kind: z.string(), rule: z.string(), reason: z.string() });
const Outcome = z.object({ catalogueVersion: z.string(), chosen: z.array(z.string()), excluded: z.array(Exclusion), sentence: z.string().optional() });
const DryRunBody = z
  .object({
    catalogue: CatalogueSchema,
    customerIds: z.array(z.string().min(1).max(128)).min(1).max(DRY_RUN_MAX_CUSTOMERS),
    channel: DecideRequestSchema.shape.channel,
    n: DecideRequestSchema.shape.n,
  })
  .strict();
const DryRunReply = z.object({
  currentVersion: z.string(),
  candidateVersion: z.string(),
  customers: z.array(z.object({ customerId: z.string(), channel: z.string(), current: Outcome, candidate: Outcome, changed: z.boolean() })),
});

const Row = z.object({ policy: z.string(), acceptedValueGBP: z.number(), netValueGBP: z.number(), contactsPerCustomer: z.number(), churnRate: z.number(), harm: z.number(), acceptanceRate: z.number() }).passthrough();
const TwinJobSchema = z.object({
  jobId: z.string(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  stage: z.enum(['training', 'current', 'candidate']).optional(),
  submittedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  currentVersion: z.string(),
  candidateVersion: z.string(),
  options: WhatIfOptionsSchema,
  result: z.object({ options: WhatIfOptionsSchema, current: Row, candidate: Row, delta: z.record(z.string(), z.number()) }).optional(),
  error: z.string().optional(),
});

/** Trying a catalogue before publishing it: check and compile it, and decide with it on sample customers. */
export function catalogueTryRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/catalogue/validate',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Check and compile a catalogue without storing it (the console validates edits as they are typed)',
      body: CatalogueSchema,
      responses: { 200: { description: 'The catalogue is valid; the version it would have', schema: z.object({ valid: z.literal(true), catalogueVersion: z.string() }) }, 422: { description: 'The field and rule that fail (a CEL error names `actions.<i>.policies.<j>.when`)', schema: ErrorBody } },
    },
    async ({ body }) => ({ valid: true as const, ...engine.catalogue.validate(body) }),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/catalogue/dry-run',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Decide with the catalogue in force and with a candidate, side by side, for sample customers: nothing is logged, counted or stored',
      body: DryRunBody,
      responses: { 200: { description: 'Per customer: what each catalogue chooses and excludes, and whether it changed', schema: DryRunReply }, 404: { description: 'A customer does not exist', schema: ErrorBody }, 422: { description: 'Invalid catalogue or request', schema: ErrorBody } },
    },
    async ({ body }) => engine.dryRunCatalogue(body.catalogue, body.customerIds.map((customerId) => ({ customerId, channel: body.channel, n: body.n }))),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/catalogue/what-if',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Run the catalogue in force and a candidate on the digital twin (same bank, seed and models) and compare them on the yardstick',
      description: 'Starts a background job (seconds to a minute; one runs at a time, three may wait) and answers 202 with it: poll `GET /v1/catalogue/what-if/{jobId}`. Jobs are kept in this process only.',
      body: z.object({ catalogue: CatalogueSchema, options: WhatIfOptionsSchema.optional() }).strict(),
      responses: { 202: { description: 'The job, queued', schema: TwinJobSchema }, 422: { description: 'Invalid catalogue or options', schema: ErrorBody }, 429: { description: 'Too many runs waiting', schema: ErrorBody } },
    },
    async ({ body, reply }) => {
      const job = await engine.whatIfOnTwin(body.catalogue, body.options);
      void reply.code(202);
      return job;
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/catalogue/what-if/{jobId}',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'A what-if job: its status, and once done the yardstick rows of both catalogues and their difference',
      params: z.object({ jobId: z.string().min(1).max(64) }),
      responses: { 200: { description: 'The job', schema: TwinJobSchema }, 404: { description: 'No such job', schema: ErrorBody } },
    },
    async ({ params }) => engine.whatIfJob(params.jobId),
  );
}
