import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import { Customer } from '../../core/customer.js';
import { NextbestError } from '../../core/errors.js';
import type { Engine } from '../../index.js';
import { ErrorBody, type ApiDocs } from '../openapi.js';
import { route } from '../route.js';
import { sendError } from '../errors.js';

const Params = z.object({ customerId: z.string().min(1).max(128) });
const FieldIssueSchema = z.object({ field: z.string(), rule: z.string(), message: z.string() });

/** Customer records: upsert one or many, read, erase. */
export function customerRoutes(app: FastifyInstance, docs: ApiDocs, engine: Engine): void {
  route(
    app,
    docs,
    {
      method: 'put',
      path: '/v1/customers/{customerId}',
      tag: 'customers',
      access: ['customers:admin'],
      summary: 'Create or replace a customer record',
      params: Params,
      body: Customer,
      bodyIdFromPath: { field: 'customerId', param: 'customerId' },
      responses: { 200: { description: 'Stored', schema: Customer }, 422: { description: 'Invalid record', schema: ErrorBody } },
    },
    async ({ params, body, reply }) => {
      const result = await engine.upsertCustomers([body]);
      const r = result.results[0]!;
      if (r.status === 'rejected') return sendError(reply, 'VALIDATION_FAILED', r.issues.map((i) => `${i.field}: ${i.message} (${i.rule})`).join('; '), { issues: r.issues });
      return engine.customer(params.customerId);
    },
  );

  route(
    app,
    docs,
    {
      method: 'post',
      path: '/v1/customers',
      tag: 'customers',
      access: ['customers:admin'],
      perItemBody: true,
      summary: 'Upsert a batch of customer records (up to 10,000)',
      body: z.object({ customers: z.array(Customer) }),
      responses: {
        200: {
          description: 'Per-item results',
          schema: z.object({ upserted: z.number(), rejected: z.number(), results: z.array(z.object({ index: z.number(), status: z.enum(['upserted', 'rejected']), customerId: z.string().optional(), issues: z.array(FieldIssueSchema).optional() })) }),
        },
      },
    },
    async ({ body, reply }) => {
      const items = (body as { customers?: unknown } | null)?.customers;
      if (!Array.isArray(items)) throw new NextbestError('VALIDATION_FAILED', 'the body must be { "customers": [...] }', { issues: [{ field: 'customers', rule: 'type', message: 'must be an array' }] });
      if (items.length > engine.config.server.maxBatch) return sendError(reply, 'PAYLOAD_TOO_LARGE', `a batch holds at most ${engine.config.server.maxBatch} customers`);
      return engine.upsertCustomers(items);
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/customers',
      tag: 'customers',
      access: ['profiles:read', 'customers:admin'],
      summary: 'List customer records in customerId order, a page at a time',
      query: z.object({
        after: z.string().min(1).max(128).optional().describe('The `next` cursor of the previous page: records with a greater customerId'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      }),
      responses: { 200: { description: 'A page of records; `next` is null on the last page', schema: z.object({ customers: z.array(Customer), next: z.string().nullable() }) } },
    },
    async ({ query }) => {
      // One more than asked tells whether another page follows without a second query.
      const rows = await engine.stores.customers.list({ ...(query.after ? { afterId: query.after } : {}), limit: query.limit + 1 });
      const customers = rows.slice(0, query.limit);
      return { customers, next: rows.length > query.limit ? customers.at(-1)!.customerId : null };
    },
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/customers/{customerId}',
      tag: 'customers',
      access: ['profiles:read'],
      summary: 'Read a customer record',
      params: Params,
      responses: { 200: { description: 'The record', schema: Customer }, 404: { description: 'No such customer', schema: ErrorBody } },
    },
    async ({ params, reply }) => {
      const c = await engine.customer(params.customerId);
      return c ?? sendError(reply, 'NOT_FOUND', `no customer ${params.customerId}`);
    },
  );

  route(
    app,
    docs,
    {
      method: 'delete',
      path: '/v1/customers/{customerId}',
      tag: 'customers',
      access: ['privacy'],
      summary: "Erase a customer (GDPR Art. 17): record, events, quarantined items, decisions and contacts; later events for the id are refused",
      params: Params,
      responses: {
        200: { description: 'What was erased', schema: z.object({ customerId: z.string(), record: z.boolean(), events: z.number(), rejects: z.number() }) },
        404: { description: 'Nothing is held for this id (or it is `*`, market data)', schema: ErrorBody },
        410: { description: 'Already erased', schema: ErrorBody },
      },
    },
    async ({ params, request }) => engine.eraseCustomer(params.customerId, { actor: request.principal?.id ?? 'anonymous' }),
  );

  route(
    app,
    docs,
    {
      method: 'get',
      path: '/v1/customers/{customerId}/export',
      tag: 'customers',
      access: ['privacy'],
      summary: 'Everything held about a customer (GDPR Art. 15): record, events, profile, scores, decisions with explanations, consent history, contacts, quarantined items',
      params: Params,
      responses: {
        200: { description: 'The export bundle (formatVersion 1)', schema: z.record(z.string(), z.unknown()) },
        404: { description: 'Nothing is held for this id', schema: ErrorBody },
        410: { description: 'The customer was erased', schema: ErrorBody },
      },
    },
    async ({ params, request, reply }) => {
      const bundle = await engine.privacy.exportCustomer(params.customerId, { actor: request.principal?.id ?? 'anonymous' });
      void reply.header('cache-control', 'no-store');
      return bundle;
    },
  );
}
