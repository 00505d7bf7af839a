import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ConsumerStatus, Engine } from '../../index.js';
import type { ApiDocs } from '../openapi.js';
import { route } from '../route.js';
import { sendError } from '../errors.js';

const Reject = z.object({
  id: z.number(),
  receivedAt: z.string(),
  source: z.string(),
  eventId: z.string().nullable(),
  customerId: z.string().nullable(),
  issues: z.array(z.object({ field: z.string(), rule: z.string(), message: z.string() })),
  raw: z.string(),
});

const ConsumerStatusSchema = z.object({
  name: z.string(),
  state: z.enum(['starting', 'catching_up', 'caught_up', 'retrying', 'paused', 'closed']),
  appliedSeq: z.number().describe('The last log seq this consumer has applied'),
  headSeq: z.number().describe('The newest log seq'),
  lagEvents: z.number().describe('Log positions not yet applied (an upper bound: erased events leave gaps)'),
  lagMs: z.number().describe('How long the oldest unapplied event has waited since it was durable'),
  failures: z.number().describe('Failures in a row; the consumer retries with backoff'),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  healthy: z.boolean().describe('Not stuck and not further behind than consumers.maxLagEvents / maxLagSeconds'),
  partitions: z.array(z.number()).optional().describe('With a bus: the customer partitions this instance applies (lagEvents: events of those partitions on the bus not yet applied)'),
}) satisfies z.ZodType<ConsumerStatus>;

const DependencySchema = z.object({ name: z.string(), ok: z.boolean(), error: z.string().optional() });

const ReadinessSchema = z.object({
  ready: z.boolean(),
  reasons: z.array(z.string()).describe('Why not ready (empty when ready)'),
  dependencies: z.array(DependencySchema).describe('PostgreSQL and Redis pings (none for embedded stores)'),
  writes: z.object({ ok: z.boolean(), failure: z.object({ at: z.string(), what: z.string(), message: z.string(), count: z.number() }).nullable() }).describe('Whether the stores take writes (disk full, I/O errors)'),
  consumers: z.array(ConsumerStatusSchema),
  events: z.number(),
  customers: z.number(),
  rejects: z.number(),
  quarantineDropped: z.number().describe('Quarantined items pushed out by newer ones since start (privacy.quarantineMax)'),
});

/** Everything readiness depends on, with the reasons it is not ready: for operators only (it names stores, hosts and consumer errors). */
async function readiness(engine: Engine, state: { closing: boolean }): Promise<z.infer<typeof ReadinessSchema>> {
  const reasons: string[] = [];
  const open = engine.isOpen;
  if (state.closing || !open) reasons.push('shutting down');
  const dependencies = open ? await engine.dependencies() : [];
  const down = dependencies.filter((d) => !d.ok);
  if (down.length > 0) reasons.push(`stores not answering: ${down.map((d) => `${d.name} (${d.error ?? 'no answer'})`).join('; ')}`);
  const failure = open ? await engine.writeFailure() : null;
  if (failure) reasons.push(`a store refused a write (${failure.what}: ${failure.message})`);
  const consumers = engine.consumers.status();
  const unhealthy = consumers.filter((c) => !c.healthy);
  if (unhealthy.length > 0) reasons.push(`log consumers stuck or behind: ${unhealthy.map((c) => `${c.name} ${c.lagEvents} events / ${c.lagMs} ms behind${c.lastError ? `, failing: ${c.lastError}` : ''}`).join('; ')}`);
  const unknown = { events: -1, customers: -1, rejects: -1, quarantineDropped: -1 };
  const stats = open ? await engine.stats().catch(() => unknown) : unknown;
  return {
    ready: reasons.length === 0,
    reasons,
    dependencies,
    writes: { ok: failure === null, failure: failure ? { ...failure, at: new Date(failure.at).toISOString() } : null },
    consumers,
    ...stats,
  };
}

/** Health, readiness, log consumer lag and the ingestion quarantine. */
export function opsRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine, state: { closing: boolean }): void {
  route(app, docs, { method: 'get', path: '/healthz', tag: 'operations', access: 'public', summary: 'Liveness: the process answers', responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/readyz',
      tag: 'operations',
      access: 'public',
      summary: 'Readiness: the stores answer and take writes, every log consumer keeps up, and the server is not shutting down. Public, so it says only ready or not; the reasons are at GET /v1/ops/readiness',
      responses: { 200: { description: 'Ready', schema: z.object({ status: z.literal('ready') }) }, 503: { description: 'Not ready (no details: they name stores, hosts and errors)' } },
    },
    async ({ reply }) => {
      const r = await readiness(engine, state);
      if (!r.ready) return sendError(reply, 'NOT_READY', 'not ready; an operator sees why at GET /v1/ops/readiness');
      return { status: 'ready' as const };
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/ops/readiness',
      tag: 'operations',
      access: ['audit:read'],
      summary: 'Why the instance is or is not ready: store pings, write failures (disk full), log consumer lag and errors, counts, quarantine drops',
      responses: { 200: { description: 'The readiness verdict with its reasons (200 whether ready or not)', schema: ReadinessSchema } },
    },
    async () => readiness(engine, state),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/ops/consumers',
      tag: 'operations',
      access: ['audit:read'],
      summary: 'Lag of each log consumer (features, response links, ...): applied seq, head, age of the oldest unapplied event, failures',
      responses: { 200: { description: 'Every consumer', schema: z.object({ consumers: z.array(ConsumerStatusSchema) }) } },
    },
    async () => ({ consumers: engine.consumers.status() }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/ingest/rejects',
      tag: 'ingestion',
      access: ['events:write'],
      summary: 'The quarantine: rejected items with the field and rule each broke, newest first',
      query: z.object({
        limit: z.coerce.number().int().min(1).max(1000).default(100),
        before: z.coerce.number().int().min(1).optional().describe('Page backwards: items with id below this'),
        source: z.string().max(200).optional().describe('http, library, file:<name>, stream'),
      }),
      responses: { 200: { description: 'Rejected items', schema: z.object({ rejects: z.array(Reject), total: z.number() }) } },
    },
    async ({ query }) => {
      const items = await engine.rejects({ limit: query.limit, ...(query.before !== undefined ? { beforeId: query.before } : {}), ...(query.source !== undefined ? { source: query.source } : {}) });
      return { rejects: items.map((r) => ({ ...r, receivedAt: new Date(r.receivedAt).toISOString() })), total: (await engine.stats()).rejects };
    },
  );
}
