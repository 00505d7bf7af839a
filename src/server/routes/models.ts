import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { NextbestError } from '../../core/errors.js';
import { MODEL_STAGES, renderModelCard, type DriftCheckRecord, type Engine, type ModelRecord } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const IdParams = z.object({ id: z.string().min(1).max(140).describe('A model id `name@version`') });
const NameParams = z.object({ name: z.string().min(1).max(140).describe('A model name, e.g. `propensity_savings` (an id `name@version` is read as its name)') });

/** One kept drift check, as the registry stores it. */
const DriftCheck = z.object({ modelId: z.string(), checkedAt: z.string(), rows: z.number(), scorePsi: z.number(), features: z.record(z.string(), z.number()), ece: z.number().nullable(), drifted: z.boolean(), reasons: z.array(z.string()) }) satisfies z.ZodType<DriftCheckRecord>;
const Window = z.object({ from: z.string(), to: z.string() });
const Card = z.looseObject({ title: z.string(), intendedUse: z.string(), outOfScope: z.string(), data: z.looseObject({ window: Window, rows: z.number() }), features: z.looseObject({ count: z.number(), definitionsHash: z.string() }), metrics: z.record(z.string(), z.number().nullable()), limitations: z.array(z.string()), fairness: z.string() });
const Summary = z.object({
  id: z.string(),
  name: z.string(),
  version: z.number(),
  kind: z.string(),
  stage: z.enum(MODEL_STAGES),
  createdAt: z.string(),
  promotedAt: z.string().nullable(),
  retiredAt: z.string().nullable(),
  trainingWindow: Window,
  features: z.array(z.string()),
  definitionsHash: z.string(),
  params: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()),
  card: Card,
});
const Drift = z.looseObject({ modelId: z.string(), checkedAt: z.string(), drifted: z.boolean(), reasons: z.array(z.string()) });
const Alert = z.looseObject({ id: z.number(), raisedAt: z.string(), modelId: z.string(), reasons: z.array(z.string()), retrainedCandidate: z.string().nullable() });

/** The promotion guard's verdict: each check with its outcome (a forced promotion shows the checks it overrode). */
const Verdict = z.object({
  modelId: z.string(),
  rule: z.string().describe('binary_auc: held-out AUC checks; judged_by_card: no held-out outcome, a person reads the card'),
  allowed: z.boolean(),
  checks: z.array(z.object({ rule: z.string(), passed: z.boolean(), detail: z.string() })),
});

/** Model risk reviewers read cards and drift without being able to promote. */
const READ = ['models:write', 'audit:read'] as const;

const notFound = (id: string) => new NextbestError('NOT_FOUND', `no model ${id}`, { model: id });

function detail(engine: Engine, r: ModelRecord) {
  const { artefact: _artefact, driftReference, ...summary } = r;
  const latest = engine.drift.latest()?.reports.find((d) => d.modelId === r.id) ?? null;
  return { ...summary, hasDriftReference: driftReference !== null, drift: latest, alerts: engine.drift.alerts().filter((a) => a.modelId === r.id) };
}

/** The model registry, promotion and rollback, model cards and drift. */
export function modelRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/models',
      tag: 'models',
      access: READ,
      summary: 'Registered models, newest first: version, stage, training window, features, metrics and card',
      query: z.object({ name: z.string().max(140).optional(), stage: z.enum(MODEL_STAGES).optional() }),
      responses: { 200: { description: 'Model summaries', schema: z.object({ models: z.array(Summary), serving: z.array(z.string()) }) } },
    },
    async ({ query }) => ({
      models: await engine.models.list({ ...(query.name ? { name: query.name } : {}), ...(query.stage ? { stage: query.stage } : {}) }),
      serving: engine.models.champions?.versions ?? [],
    }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/models/{id}',
      tag: 'models',
      access: READ,
      summary: 'One model: card, metrics on the held-out time slice, parameters, and its latest drift check and alerts',
      params: IdParams,
      responses: { 200: { description: 'The model', schema: Summary.extend({ hasDriftReference: z.boolean(), drift: Drift.nullable(), alerts: z.array(Alert) }) }, 404: { description: 'No such model', schema: ErrorBody } },
    },
    async ({ params }) => {
      const r = await engine.models.get(params.id);
      if (!r) throw notFound(params.id);
      return detail(engine, r);
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/models/{id}/card',
      tag: 'models',
      access: READ,
      summary: 'The model card as Markdown (for a model-risk file)',
      params: IdParams,
      responses: { 200: { description: 'text/markdown' }, 404: { description: 'No such model', schema: ErrorBody } },
    },
    async ({ params, reply }) => {
      const r = await engine.models.get(params.id);
      if (!r) throw notFound(params.id);
      return reply.type('text/markdown; charset=utf-8').send(renderModelCard(r));
    },
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/models/{id}/promote',
      tag: 'models',
      access: ['models:write'],
      summary: 'Make a candidate (or retired model) the champion of its name; served at once, no restart',
      params: IdParams,
      query: z.object({ force: z.string().max(500).optional().describe('Promote although the promotion guard refuses: the reason, kept in the registry history') }),
      responses: { 200: { description: 'The new champion and the model it retired', schema: z.object({ champion: Summary, retired: Summary.nullable(), verdict: Verdict }) }, 404: { description: 'No such model', schema: ErrorBody }, 422: { description: 'Already the champion, or refused by the promotion guard (each failed rule named)', schema: ErrorBody } },
    },
    async ({ params, query, request }) => engine.models.promote(params.id, { ...(query.force !== undefined ? { force: query.force } : {}), actor: request.principal?.id ?? 'anonymous' }),
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/models/{name}/rollback',
      tag: 'models',
      access: ['models:write'],
      summary: 'Retire the champion of a name and restore the one it replaced; served at once',
      params: NameParams,
      responses: { 200: { description: 'The restored champion and the retired one', schema: z.object({ champion: Summary, retired: Summary }) }, 404: { description: 'No champion of that name', schema: ErrorBody }, 422: { description: 'No earlier champion', schema: ErrorBody } },
    },
    async ({ params, request }) => engine.models.rollback(params.name.replace(/@\d+$/, ''), { actor: request.principal?.id ?? 'anonymous' }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/models/{id}/drift',
      tag: 'models',
      access: READ,
      summary: "Drift over time: every kept drift check of a model (PSI of its score and of each feature, the calibration gap, the verdict), oldest first",
      params: IdParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200).describe('The most recent N checks') }),
      responses: {
        200: {
          description: 'The checks',
          schema: z.object({
            modelId: z.string(),
            checks: z.array(DriftCheck),
          }),
        },
        404: { description: 'No such model', schema: ErrorBody },
      },
    },
    async ({ params, query }) => {
      if (!(await engine.models.get(params.id))) throw notFound(params.id);
      return { modelId: params.id, checks: await engine.drift.history(params.id, query.limit) };
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/drift',
      tag: 'models',
      access: READ,
      summary: 'The latest drift check of the champions (PSI and KS per feature and score, calibration on observed outcomes) and the alerts raised',
      responses: { 200: { description: 'Latest check and alerts', schema: z.object({ checkedAt: z.string().nullable(), reports: z.array(Drift), alerts: z.array(Alert) }) } },
    },
    async () => {
      const last = engine.drift.latest();
      return { checkedAt: last?.checkedAt ?? null, reports: last?.reports ?? [], alerts: engine.drift.alerts() };
    },
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/drift/check',
      tag: 'models',
      access: ['models:write'],
      summary: 'Run the drift check of the champions now (and retrain drifted models when configured)',
      responses: { 200: { description: 'The check', schema: z.object({ checkedAt: z.string(), reports: z.array(Drift), alerts: z.array(Alert) }) } },
    },
    async () => engine.drift.runOnce(),
  );
}
