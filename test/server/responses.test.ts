import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { appendAll, syntheticBank } from '../training/synthetic.js';
import { exampleEvents } from '../helpers/events.js';

const DAY = 86_400_000;
const catalogue = fileURLToPath(new URL('../fixtures/decisions/scenario-catalogue.yaml', import.meta.url));

/**
 * Schemas once: every 2xx response documented in /openapi.json is produced by a real call
 * with valid input and parsed with the zod schema the document was generated from. A
 * parse that fails, or that drops a field the schema does not know, fails the test.
 */
describe('every documented 2xx response matches its schema', () => {
  let engine: Engine;
  let app: ReturnType<typeof buildApp>;
  const bank = syntheticBank({ customers: 180, days: 160, seed: 21 });
  const one = 'c00001';

  beforeAll(async () => {
    const clock = new ManualClock(new Date(bank.start + bank.days * DAY).toISOString());
    engine = await createEngine({ store: 'memory', log: { level: 'silent' }, decisioning: { catalogue } }, { clock });
    await appendAll(engine.stores.eventLog, bank.events.filter((e) => e.customerId !== one));
    expect((await engine.ingest(bank.events.filter((e) => e.customerId === one))).rejected).toBe(0);
    await engine.upsertCustomers([{ customerId: one, dateOfBirth: '1980-01-01', riskTolerance: 'medium', consents: { marketing: true, personalised_offers: true } }]);
    await engine.trainModels({ models: ['propensity', 'churn', 'segments', 'clv'], seed: 1 });
    await engine.trainModels({ models: ['propensity'], seed: 2 });
    app = buildApp(engine, { logger: false, auth: { mode: 'none' } });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await engine?.close();
  });

  it('for every operation', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const ops = new Map(app.apiDocs.operations().map((o) => [`${o.method} ${o.path}`, o]));
    const seen = new Set<string>();
    const json = { 'content-type': 'application/json' };
    const call = async (method: string, path: string, url: string, payload?: unknown) => {
      const res = await app.inject({ method: method.toUpperCase() as 'GET', url, ...(payload !== undefined ? { payload: JSON.stringify(payload), headers: json } : {}) });
      const op = ops.get(`${method} ${path}`);
      expect(op, `${method} ${path} is documented`).toBeDefined();
      const documented = op!.responses[res.statusCode];
      expect(documented, `${method} ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`).toBeDefined();
      expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 300)}`).toBeLessThan(300);
      seen.add(`${method} ${path} ${res.statusCode}`);
      if (!documented!.schema) return res;
      const body = res.json();
      const parsed = (documented!.schema as z.ZodType).safeParse(body);
      expect(parsed.success, `${method} ${url}: ${parsed.error?.message}`).toBe(true);
      // z.object strips fields it does not know: equality means nothing undocumented was sent.
      expect(parsed.data, `${method} ${url} sent fields its schema lacks`).toEqual(body);
      return res;
    };

    await call('get', '/healthz', '/healthz');
    await call('get', '/readyz', '/readyz');
    await call('get', '/v1/ops/consumers', '/v1/ops/consumers');
    await call('get', '/v1/ops/readiness', '/v1/ops/readiness');
    const [e1, e2] = exampleEvents('c-resp', '2025-06-01T09:00:00Z', 'resp');
    await call('post', '/v1/events', '/v1/events', e1);
    await call('post', '/v1/events', '/v1/events', { events: [e2, { bad: true }] });
    await call('get', '/v1/ingest/rejects', '/v1/ingest/rejects');
    await call('put', '/v1/customers/{customerId}', '/v1/customers/c-resp', { dateOfBirth: '1990-05-01' });
    await call('post', '/v1/customers', '/v1/customers', { customers: [{ customerId: 'c-two' }, { customerId: '' }] });
    await call('get', '/v1/customers', '/v1/customers?limit=2');
    await call('get', '/v1/customers/{customerId}', `/v1/customers/${one}`);
    await call('get', '/v1/customers/{customerId}/events', `/v1/customers/${one}/events?limit=5`);
    await call('get', '/v1/customers/{customerId}/profile', `/v1/customers/${one}/profile`);
    await call('get', '/v1/features', '/v1/features');
    await call('get', '/v1/auth/whoami', '/v1/auth/whoami');

    await call('get', '/v1/models', '/v1/models');
    await call('get', '/v1/models/{id}', '/v1/models/propensity_savings@1');
    await call('get', '/v1/models/{id}/card', '/v1/models/propensity_savings@1/card');
    for (const id of ['propensity_savings@1', 'churn_cox@1', 'segments@1', 'clv@1']) await call('post', '/v1/models/{id}/promote', `/v1/models/${id}/promote`);
    // A retrain on the same data need not beat its champion: the guard may refuse it, so a person forces it.
    await call('post', '/v1/models/{id}/promote', `/v1/models/propensity_savings@2/promote?force=${encodeURIComponent('retrained on the same window for the schema test')}`);
    await call('post', '/v1/models/{name}/rollback', '/v1/models/propensity_savings/rollback');
    await call('post', '/v1/drift/check', '/v1/drift/check');
    const checked = (await call('get', '/v1/drift', '/v1/drift')).json();
    const over = (await call('get', '/v1/models/{id}/drift', `/v1/models/${checked.reports[0].modelId}/drift?limit=5`)).json();
    expect(over.checks.length).toBeGreaterThan(0);
    // With champions in service the profile carries every kind of score.
    const profile = (await call('get', '/v1/customers/{customerId}/profile', `/v1/customers/${one}/profile`)).json();
    expect(profile.scores.segment).not.toBeNull();

    const summary = (await call('post', '/v1/decisions', '/v1/decisions', { customerId: one, channel: 'in_app', n: 2 })).json();
    expect(summary.record).toBeDefined();
    const full = (await call('post', '/v1/decisions', '/v1/decisions?view=full', { customerId: one, channel: 'in_app', n: 2 })).json();
    expect(full.inputs.customer.id).toBe(one);
    await call('get', '/v1/decisions/{decisionId}', `/v1/decisions/${summary.decisionId}`);
    await call('post', '/v1/decisions/{decisionId}/replay', `/v1/decisions/${summary.decisionId}/replay`);

    await call('get', '/v1/actions', '/v1/actions');
    await call('get', '/v1/actions/{actionId}', '/v1/actions/card');
    const action = { name: 'Cashback', family: 'credit_card', value: { amountGbp: 90 }, message: { headline: 'Cashback', body: 'Cashback card.' }, treatments: { email: {} } };
    await call('put', '/v1/actions/{actionId}', '/v1/actions/cashback', action);
    await call('delete', '/v1/actions/{actionId}', '/v1/actions/cashback');
    await call('get', '/v1/levers', '/v1/levers');
    await call('put', '/v1/levers', '/v1/levers', { families: { savings: 2 } });
    const whole = (await call('get', '/v1/catalogue', '/v1/catalogue')).json();
    await call('put', '/v1/catalogue', '/v1/catalogue', whole.catalogue);
    await call('get', '/v1/catalogue/versions', '/v1/catalogue/versions');
    await call('post', '/v1/catalogue/validate', '/v1/catalogue/validate', whole.catalogue);
    await call('post', '/v1/catalogue/dry-run', '/v1/catalogue/dry-run', { catalogue: whole.catalogue, customerIds: [one], channel: 'in_app' });
    const job = (await call('post', '/v1/catalogue/what-if', '/v1/catalogue/what-if', { catalogue: whole.catalogue, options: { customers: 50, days: 14, trainDays: 14 } })).json();
    await call('get', '/v1/catalogue/what-if/{jobId}', `/v1/catalogue/what-if/${job.jobId}`);
    await call('get', '/v1/decisions', `/v1/decisions?customerId=${one}&limit=1`);
    await call('get', '/v1/customers/{customerId}/export', `/v1/customers/${one}/export`);
    await call('get', '/v1/audit', '/v1/audit?limit=5&verify=true');
    await call('put', '/v1/universal-control', '/v1/universal-control', { salt: 'ucg', share: 0 });
    const experiment = { id: 'resp-exp', status: 'running', arms: [{ name: 'a', kind: 'policy', policy: 'engine' }, { name: 'b', kind: 'holdout' }] };
    await call('post', '/v1/experiments', '/v1/experiments', experiment);
    await call('put', '/v1/experiments/{experimentId}', '/v1/experiments/resp-exp', { ...experiment, exposure: 1 });
    await call('get', '/v1/experiments', '/v1/experiments');
    await call('get', '/v1/experiments/{experimentId}', '/v1/experiments/resp-exp');
    await engine.decide({ customerId: one, channel: 'in_app', n: 1 });
    await call('get', '/v1/experiments/{experimentId}/results', '/v1/experiments/resp-exp/results');
    await call('delete', '/v1/experiments/{experimentId}', '/v1/experiments/resp-exp');
    await call('get', '/v1/fairness', '/v1/fairness?days=365');
    await call('get', '/v1/outcomes', '/v1/outcomes?days=365');
    await engine.decide({ customerId: one, channel: 'email', n: 1 });
    await call('post', '/v1/ope', '/v1/ope', { levers: { families: { savings: 2 } }, resamples: 50 });
    await call('delete', '/v1/customers/{customerId}', '/v1/customers/c-resp');

    await call('get', '/v1/triggers', '/v1/triggers');
    const trigger = (await call('get', '/v1/triggers/{triggerId}', '/v1/triggers/large_deposit_investment')).json();
    await call('put', '/v1/triggers/{triggerId}', '/v1/triggers/resp_trigger', { ...trigger, id: 'resp_trigger' });
    await call('delete', '/v1/triggers/{triggerId}', '/v1/triggers/resp_trigger');
    await call('get', '/v1/triggers/fires', '/v1/triggers/fires');
    await call('post', '/v1/triggers/test', '/v1/triggers/test', { customerId: one });
    await call('get', '/v1/customers/{customerId}/journeys', `/v1/customers/${one}/journeys`);
    await call('put', '/v1/customers/{customerId}', '/v1/customers/c-deliv', { dateOfBirth: '1980-01-01', consents: { marketing: true, personalised_offers: true } });
    const toDeliver = (await call('post', '/v1/decisions', '/v1/decisions', { customerId: 'c-deliv', channel: 'in_app', deliver: true })).json();
    expect(toDeliver.chosen.length).toBeGreaterThan(0);
    const key = encodeURIComponent(`${toDeliver.decisionId}:${toDeliver.chosen[0].actionId}:in_app`);
    await call('get', '/v1/deliveries/pull/{channel}', '/v1/deliveries/pull/in_app?customerId=c-deliv');
    await call('post', '/v1/deliveries/pull/{channel}/claim', '/v1/deliveries/pull/in_app/claim', { customerId: 'c-deliv', by: 'app' });
    await call('post', '/v1/deliveries/{key}/release', `/v1/deliveries/${key}/release`, { by: 'app', reason: 'the slot was taken' });
    await call('post', '/v1/deliveries/pull/{channel}/claim', '/v1/deliveries/pull/in_app/claim', { customerId: 'c-deliv', by: 'app' });
    await call('post', '/v1/deliveries/{key}/ack', `/v1/deliveries/${key}/ack`, { by: 'app', outcome: 'failed', error: 'not shown' });
    await call('post', '/v1/deliveries/{key}/retry', `/v1/deliveries/${key}/retry`);
    await call('get', '/v1/deliveries', '/v1/deliveries');
    await call('get', '/v1/deliveries/{key}', `/v1/deliveries/${key}`);
    await call('get', '/v1/deliveries/metrics', '/v1/deliveries/metrics');

    // Every documented 2xx of every operation was produced.
    const documented: string[] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) for (const status of Object.keys(op.responses)) if (status.startsWith('2')) documented.push(`${method} ${path} ${status}`);
    }
    expect(documented.filter((d) => !seen.has(d))).toEqual([]);
  }, 120_000);
});
