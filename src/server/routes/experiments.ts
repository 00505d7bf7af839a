import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ExperimentSchema, UniversalControlSchema, type Engine, type ExperimentRecord } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ experimentId: z.string().min(1).max(64) });
/** Reviewers and auditors read experiments; whoever may change them may read them too. */
const READ = ['experiments:write', 'audit:read'] as const;
const WRITE = ['experiments:write'] as const;
const Stored = z.object({
  experiment: ExperimentSchema,
  revision: z.number().int().describe('1 when created, +1 on every change; send it as If-Match to change or delete only that revision'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const Conflict = { description: 'The experiment changed since the revision in If-Match, or the id is taken: read it again and retry', schema: ErrorBody };
const Invalid = { description: 'Invalid experiment, or it would overlap a running experiment of its layer', schema: ErrorBody };
const NotFound = { description: 'No such experiment', schema: ErrorBody };
const IF_MATCH = 'Send `If-Match: <revision>` to apply the change only if the experiment is still at that revision (409 otherwise).';

const Interval = z.tuple([z.number(), z.number()]);
const Unavailable = z.object({ unavailable: z.string() });
const Results = z.looseObject({
  experimentId: z.string(),
  control: z.string().describe('The arm every other arm is compared with'),
  from: z.number().describe('Start of the window (epoch ms)'),
  until: z.number().describe('End of the window (epoch ms)'),
  arms: z.array(z.looseObject({ arm: z.string(), kind: z.string(), customers: z.number(), acceptanceRate: z.number(), acceptanceInterval: Interval, valuePerCustomer: z.number(), loginsPerCustomer: z.number(), churned: z.number() })),
  srm: z.looseObject({ chiSquare: z.number(), pValue: z.number(), alert: z.boolean().describe('True: the split is not as designed; read nothing else until explained') }),
  comparisons: z.array(z.looseObject({ arm: z.string(), control: z.string(), acceptance: z.union([z.looseObject({ difference: z.number(), newcombeInterval: Interval, pValue: z.number() }), Unavailable]) })),
  daily: z.array(z.object({ day: z.number(), arm: z.string(), metric: z.enum(['acceptance', 'value']), customers: z.number(), controlCustomers: z.number(), difference: z.number(), interval: Interval, pValue: z.number() })),
});

const iso = (r: ExperimentRecord) => ({ ...r, createdAt: new Date(r.createdAt).toISOString(), updatedAt: new Date(r.updatedAt).toISOString() });

/** The audit trail's actor of an edit: the caller's key id (or `anonymous` with auth off). */
const actorOf = (request: FastifyRequest) => request.principal?.id ?? 'anonymous';

/** The revision an edit was based on, from If-Match; absent or `*` means the latest. */
function revisionOf(request: FastifyRequest): number | undefined {
  const raw = request.headers['if-match'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  if (!value || value === '*') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

/** Experiments and holdouts (CRUD), the universal control group, and each experiment's results from the logs. */
export function experimentRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  const x = () => engine.experiments;
  route(
    app,
    docs,
    { method: 'get', path: '/v1/experiments', tag: 'experiments', access: READ, summary: 'List experiments and the universal control group', responses: { 200: { description: 'Every experiment, oldest first', schema: z.object({ experiments: z.array(Stored), universalControl: UniversalControlSchema.nullable() }) } } },
    async () => ({ experiments: (await x().list()).map(iso), universalControl: (await x().universalControl()) ?? null }),
  );

  route(
    app,
    docs,
    { method: 'post', path: '/v1/experiments', tag: 'experiments', access: WRITE, summary: 'Create an experiment (a running one is assigned from the next decision on)', body: ExperimentSchema, responses: { 200: { description: 'Created', schema: Stored }, 409: Conflict, 422: Invalid } },
    async ({ body, request }) => iso(await x().create(body, { actor: actorOf(request) })),
  );

  route(
    app,
    docs,
    { method: 'get', path: '/v1/experiments/{experimentId}', tag: 'experiments', access: READ, summary: 'Read one experiment', params: Params, responses: { 200: { description: 'The experiment', schema: Stored }, 404: NotFound } },
    async ({ params }) => iso(await x().get(params.experimentId)),
  );

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/experiments/{experimentId}',
      tag: 'experiments',
      access: WRITE,
      summary: 'Change an experiment (ramp-up, status, arms). Raising `exposure` keeps everyone in their arm; changing weights, salt or buckets reshuffles.',
      description: IF_MATCH,
      params: Params,
      body: ExperimentSchema,
      bodyIdFromPath: { field: 'id', param: 'experimentId' },
      responses: { 200: { description: 'Saved', schema: Stored }, 404: NotFound, 409: Conflict, 422: Invalid },
    },
    async ({ params, body, request }) => iso(await x().update(params.experimentId, body, revisionOf(request), { actor: actorOf(request) })),
  );

  route(
    app,
    docs,
    { method: 'delete', path: '/v1/experiments/{experimentId}', tag: 'experiments', access: WRITE, summary: 'Delete an experiment (logged decisions keep their tags)', description: IF_MATCH, params: Params, responses: { 200: { description: 'Deleted', schema: z.object({ deleted: z.string() }) }, 404: NotFound, 409: Conflict } },
    async ({ params, request }) => {
      await x().remove(params.experimentId, revisionOf(request), { actor: actorOf(request) });
      return { deleted: params.experimentId };
    },
  );

  route(
    app,
    docs,
    { method: 'put', path: '/v1/universal-control', tag: 'experiments', access: WRITE, summary: 'Set the universal control group: a share of customers never contacted by marketing and in no experiment (share 0 turns it off)', body: UniversalControlSchema, responses: { 200: { description: 'In force from the next decision', schema: UniversalControlSchema }, 422: Invalid } },
    async ({ body, request }) => x().setUniversalControl(body, { actor: actorOf(request) }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/experiments/{experimentId}/results',
      tag: 'experiments',
      access: READ,
      summary: 'KPIs per arm and over time from the decision and event logs: acceptance, revenue and CLV, engagement (logins, products held, savings; CUPED), churn (Kaplan–Meier, Cox), guardrails (complaints, consent withdrawals, contacts, arrears, overdrawn), the sample-ratio check and daily always-valid intervals of the acceptance and revenue lifts',
      params: Params,
      responses: { 200: { description: 'The results (the same data as `nextbest experiments report`)', schema: Results }, 404: { description: 'No such experiment, or no decision logged under it yet', schema: ErrorBody } },
    },
    async ({ params }) => engine.experimentResults(params.experimentId),
  );
}
