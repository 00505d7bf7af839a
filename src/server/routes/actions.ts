import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../core/errors.js';
import { ActionSchema, LeversSchema, type Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ actionId: z.string().min(1).max(64) });
const Saved = z.object({ action: ActionSchema, created: z.boolean(), catalogueVersion: z.string() });

/** The action catalogue (CRUD, checked and recompiled on every change) and the business levers. */
export function actionRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  const d = () => engine.catalogue;
  route(app, docs, { method: 'get', path: '/v1/actions', tag: 'actions', summary: 'List the action catalogue', responses: { 200: { description: 'Every action', schema: z.object({ catalogueVersion: z.string(), actions: z.array(ActionSchema) }) } } }, async () => ({
    catalogueVersion: d().catalogueVersion,
    actions: d().actions(),
  }));

  route(
    app,
    docs,
    { method: 'get', path: '/v1/actions/{actionId}', tag: 'actions', summary: 'Read one action', params: Params, responses: { 200: { description: 'The action', schema: ActionSchema }, 404: { description: 'No such action', schema: ErrorBody } } },
    async ({ params }) => d().action(params.actionId),
  );

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/actions/{actionId}',
      tag: 'actions',
      summary: 'Create or replace an action (its rules are compiled before it takes effect)',
      params: Params,
      body: ActionSchema,
      responses: { 200: { description: 'Saved', schema: Saved }, 422: { description: 'Invalid action or a rule that does not compile', schema: ErrorBody } },
    },
    async ({ params, request }) => {
      const body = request.body as Record<string, unknown> | null;
      const input = body && typeof body === 'object' && !Array.isArray(body) ? { ...body } : body;
      if (input && typeof input === 'object' && !('id' in input)) (input as Record<string, unknown>).id = params.actionId;
      if (input && typeof input === 'object' && (input as Record<string, unknown>).id !== params.actionId) {
        throw new ValidationError([{ field: 'id', rule: 'matches_path', message: 'must equal the actionId in the URL' }]);
      }
      return d().putAction(input);
    },
  );

  route(
    app,
    docs,
    { method: 'delete', path: '/v1/actions/{actionId}', tag: 'actions', summary: 'Remove an action (logged decisions keep their catalogue snapshot)', params: Params, responses: { 200: { description: 'Removed', schema: z.object({ catalogueVersion: z.string() }) }, 404: { description: 'No such action', schema: ErrorBody } } },
    async ({ params }) => d().deleteAction(params.actionId),
  );

  route(app, docs, { method: 'get', path: '/v1/levers', tag: 'actions', summary: 'Read the business levers (weights per family and per action)', responses: { 200: { description: 'The levers', schema: LeversSchema } } }, async () => d().getLevers());

  route(
    app,
    docs,
    { method: 'put', path: '/v1/levers', tag: 'actions', summary: 'Replace the business levers at run time', body: LeversSchema, responses: { 200: { description: 'The levers now in force', schema: LeversSchema }, 422: { description: 'Invalid levers', schema: ErrorBody } } },
    async ({ request }) => d().setLevers(request.body),
  );
}
