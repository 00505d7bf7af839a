import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { CatalogueSchema, DecideRequestSchema, type Engine } from '../../index.js';
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
    n: z.number().int().min(1).max(20).default(1),
  })
  .strict();
const DryRunReply = z.object({
  currentVersion: z.string(),
  candidateVersion: z.string(),
  customers: z.array(z.object({ customerId: z.string(), channel: z.string(), current: Outcome, candidate: Outcome, changed: z.boolean() })),
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
}
