import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { ActionSchema, LeversSchema, type Engine } from '../../engine.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ actionId: z.string().min(1).max(64) });
/** Channels read the catalogue they are offered from; reviewers read it too. */
const READ = ['catalogue:write', 'decisions:write', 'audit:read'] as const;
const Saved = z.object({ action: ActionSchema, created: z.boolean(), catalogueVersion: z.string() });

/** The action catalogue (CRUD, checked and recompiled on every change) and the business levers. */
export function actionRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  const d = () => engine.decisioning;
  route(app, docs, { method: 'get', path: '/v1/actions', tag: 'actions', access: READ, summary: 'List the action catalogue', responses: { 200: { description: 'Every action', schema: z.object({ catalogueVersion: z.string(), actions: z.array(ActionSchema) }) } } }, async () => ({
    catalogueVersion: d().catalogueVersion,
    actions: d().actions(),
  }));

  route(
    app,
    docs,
    { method: 'get', path: '/v1/actions/{actionId}', tag: 'actions', access: READ, summary: 'Read one action', params: Params, responses: { 200: { description: 'The action', schema: ActionSchema }, 404: { description: 'No such action', schema: ErrorBody } } },
    async ({ params }) => d().action(params.actionId),
  );

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/actions/{actionId}',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Create or replace an action (its rules are compiled before it takes effect)',
      params: Params,
      body: ActionSchema,
      bodyIdFromPath: { field: 'id', param: 'actionId' },
      responses: { 200: { description: 'Saved', schema: Saved }, 422: { description: 'Invalid action or a rule that does not compile', schema: ErrorBody } },
    },
    async ({ body }) => d().putAction(body),
  );

  route(
    app,
    docs,
    { method: 'delete', path: '/v1/actions/{actionId}', tag: 'actions', access: ['catalogue:write'], summary: 'Remove an action (logged decisions keep their catalogue snapshot)', params: Params, responses: { 200: { description: 'Removed', schema: z.object({ catalogueVersion: z.string() }) }, 404: { description: 'No such action', schema: ErrorBody } } },
    async ({ params }) => d().deleteAction(params.actionId),
  );

  route(app, docs, { method: 'get', path: '/v1/levers', tag: 'actions', access: READ, summary: 'Read the business levers (weights per family and per action)', responses: { 200: { description: 'The levers', schema: LeversSchema } } }, async () => d().getLevers());

  route(
    app,
    docs,
    { method: 'put', path: '/v1/levers', tag: 'actions', access: ['catalogue:write'], summary: 'Replace the business levers at run time', body: LeversSchema, responses: { 200: { description: 'The levers now in force', schema: LeversSchema }, 422: { description: 'Invalid levers', schema: ErrorBody } } },
    async ({ body }) => d().setLevers(body),
  );
}
