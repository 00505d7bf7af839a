import { z } from 'zod';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ActionSchema, CatalogueSchema, LeversSchema, type Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';

const Params = z.object({ actionId: z.string().min(1).max(64) });
const Version = z.string().describe('The catalogue version: a content hash, logged with every decision made on it.');
const Saved = z.object({ action: ActionSchema, created: z.boolean(), catalogueVersion: Version });
const VersionInfo = z.object({
  version: Version,
  createdAt: z.string().describe('When this version was first stored (ISO 8601).'),
  author: z.string().nullable().describe('Who made it, when known (null for API edits: API keys are anonymous).'),
  source: z.enum(['config', 'api', 'import']).describe('config: the YAML on first start; api: an edit over this API; import: `nextbest catalogue import`.'),
  replaces: z.string().nullable().describe('The version that was current when this one was made.'),
});
/** Channels read the catalogue they are offered from; reviewers read it too. */
const READ = ['catalogue:write', 'decisions:write', 'audit:read'] as const;
const Conflict = { description: 'The catalogue changed since the version named in If-Match, or another process edited it at the same moment: read it again and retry', schema: ErrorBody };
const IF_MATCH = 'Send `If-Match: <catalogueVersion>` to apply the edit only if the catalogue is still at the version you read (409 otherwise).';

/** The version an edit was based on, from If-Match (quoted as an ETag or bare); `*` and absence mean any. */
function editOf(request: FastifyRequest): { source: 'api'; author: string | null; expectedVersion?: string } {
  const raw = request.headers['if-match'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
  // The caller's key id (never the key) is the edit's author, in the version history and the audit trail.
  const author = request.principal?.id ?? null;
  return value && value !== '*' ? { source: 'api', author, expectedVersion: value } : { source: 'api', author };
}

/** Every catalogue read carries its version as the ETag, for If-Match on the next edit. */
function tagged<T>(reply: FastifyReply, version: string, body: T): T {
  void reply.header('etag', `"${version}"`);
  return body;
}

/**
 * The action catalogue (CRUD, checked and recompiled on every change), the business levers,
 * and the catalogue's stored versions. Every edit is stored as a new catalogue version and
 * survives restarts; reads see edits made by other processes within a second.
 */
export function actionRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  const d = () => engine.catalogue;
  route(app, docs, { method: 'get', path: '/v1/actions', tag: 'actions', access: READ, summary: 'List the action catalogue', responses: { 200: { description: 'Every action', schema: z.object({ catalogueVersion: Version, actions: z.array(ActionSchema) }) } } }, async ({ reply }) => {
    const cat = await d().refresh();
    return tagged(reply, cat.version, { catalogueVersion: cat.version, actions: cat.catalogue.actions });
  });

  route(
    app,
    docs,
    { method: 'get', path: '/v1/actions/{actionId}', tag: 'actions', access: READ, summary: 'Read one action', params: Params, responses: { 200: { description: 'The action', schema: ActionSchema }, 404: { description: 'No such action', schema: ErrorBody } } },
    async ({ params, reply }) => {
      const cat = await d().refresh();
      return tagged(reply, cat.version, d().action(params.actionId));
    },
  );

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/actions/{actionId}',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Create or replace an action (its rules are compiled before it takes effect; stored as a new catalogue version)',
      description: IF_MATCH,
      params: Params,
      body: ActionSchema,
      bodyIdFromPath: { field: 'id', param: 'actionId' },
      responses: { 200: { description: 'Saved', schema: Saved }, 409: Conflict, 422: { description: 'Invalid action or a rule that does not compile', schema: ErrorBody } },
    },
    async ({ body, request, reply }) => {
      const saved = await d().putAction(body, editOf(request));
      return tagged(reply, saved.catalogueVersion, saved);
    },
  );

  route(
    app,
    docs,
    {
      method: 'delete',
      path: '/v1/actions/{actionId}',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Remove an action (logged decisions keep their catalogue snapshot)',
      description: IF_MATCH,
      params: Params,
      responses: { 200: { description: 'Removed', schema: z.object({ catalogueVersion: Version }) }, 404: { description: 'No such action', schema: ErrorBody }, 409: Conflict },
    },
    async ({ params, request, reply }) => {
      const removed = await d().deleteAction(params.actionId, editOf(request));
      return tagged(reply, removed.catalogueVersion, removed);
    },
  );

  route(app, docs, { method: 'get', path: '/v1/levers', tag: 'actions', access: READ, summary: 'Read the business levers (weights per family and per action)', responses: { 200: { description: 'The levers', schema: LeversSchema } } }, async ({ reply }) => {
    const cat = await d().refresh();
    return tagged(reply, cat.version, d().getLevers());
  });

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/levers',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Replace the business levers at run time (levers are part of the catalogue: a new catalogue version)',
      description: IF_MATCH,
      body: LeversSchema,
      responses: { 200: { description: 'The levers now in force', schema: LeversSchema }, 409: Conflict, 422: { description: 'Invalid levers', schema: ErrorBody } },
    },
    async ({ body, request, reply }) => {
      const levers = await d().setLevers(body, editOf(request));
      return tagged(reply, d().catalogueVersion, levers);
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/catalogue',
      tag: 'actions',
      access: READ,
      summary: 'Read the whole catalogue (actions, policies, levers, contact policy): the version in force, or a stored one',
      query: z.object({ version: z.string().min(1).max(64).optional().describe('A stored version; the one in force when absent') }),
      responses: { 200: { description: 'The catalogue', schema: z.object({ catalogueVersion: Version, catalogue: CatalogueSchema }) }, 404: { description: 'No such version', schema: ErrorBody } },
    },
    async ({ query, reply }) => {
      const version = query.version ?? (await d().refresh()).version;
      return tagged(reply, version, { catalogueVersion: version, catalogue: await d().at(version) });
    },
  );

  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/catalogue',
      tag: 'actions',
      access: ['catalogue:write'],
      summary: 'Replace the whole catalogue (checked and compiled before it takes effect; stored as a new version)',
      description: IF_MATCH,
      body: CatalogueSchema,
      responses: { 200: { description: 'The version now in force', schema: z.object({ catalogueVersion: Version }) }, 409: Conflict, 422: { description: 'Invalid catalogue or a rule that does not compile', schema: ErrorBody } },
    },
    async ({ body, request, reply }) => {
      const version = await d().replaceCatalogue(body, editOf(request));
      return tagged(reply, version, { catalogueVersion: version });
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/catalogue/versions',
      tag: 'actions',
      access: READ,
      summary: 'The stored catalogue versions, most recently stored first, and the one in force',
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      responses: { 200: { description: 'Versions', schema: z.object({ current: Version, versions: z.array(VersionInfo) }) } },
    },
    async ({ query }) => {
      const { current, versions } = await d().versions(query.limit);
      return { current, versions: versions.map((v) => ({ ...v, createdAt: new Date(v.createdAt).toISOString() })) };
    },
  );
}
