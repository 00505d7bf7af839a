import { z } from 'zod';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Engine } from '../../engine.js';
import type { ApiDocs, Operation } from '../openapi.js';
import { route } from '../route.js';

/**
 * Every scope a key can carry (src/core/scopes.ts where access control has landed): any one
 * of them lets a caller ask who they are, so the console can hide what the key may not do.
 */
const ANY_SCOPE = ['events:write', 'decisions:write', 'profiles:read', 'customers:admin', 'privacy', 'catalogue:write', 'models:write', 'experiments:write', 'audit:read', 'admin'];

const WhoAmI = z.object({
  id: z.string().describe('The key id, `config:<n>`, `jwt:<sub>`, or `anonymous` when authentication is off'),
  kind: z.string().describe('api_key, config_key, jwt or none'),
  scopes: z.array(z.string()).describe('What the credential may do; admin grants every scope'),
});

interface Principal {
  kind: string;
  id: string;
  scopes: ReadonlySet<string>;
}

/** The credential the request was let in with: the access hook's principal where there is one. */
function principalOf(request: FastifyRequest, engine: Engine): z.infer<typeof WhoAmI> {
  const p = (request as FastifyRequest & { principal?: Principal | null }).principal;
  if (p) return { id: p.id, kind: p.kind, scopes: [...p.scopes] };
  // Before per-route scopes: a configured key is checked by the /v1/ hook and may do everything.
  if (engine.config.server.apiKeys.length > 0) return { id: 'config', kind: 'config_key', scopes: ['admin'] };
  return { id: 'anonymous', kind: 'none', scopes: ['admin'] };
}

/** `GET /v1/auth/whoami`: the caller's id and scopes (never the key itself). */
export function whoamiRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  const op = {
    method: 'get',
    path: '/v1/auth/whoami',
    tag: 'auth',
    access: ANY_SCOPE,
    summary: "Who the credential is and what it may do: the console hides the buttons a key's scopes do not allow",
    responses: { 200: { description: 'The caller', schema: WhoAmI }, 401: { description: 'No valid credential' } },
  };
  route(app, docs, op as Operation, async ({ request }) => principalOf(request, engine));
}
