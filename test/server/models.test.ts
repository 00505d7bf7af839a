import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { buildApp } from '../../src/server/app.js';
import { appendAll, syntheticBank } from '../training/synthetic.js';

const DAY = 86_400_000;

describe('HTTP: models, cards, promotion, drift and profile scores', () => {
  let engine: Engine;
  let app: ReturnType<typeof buildApp>;
  const bank = syntheticBank({ customers: 180, days: 160, seed: 21 });
  const one = 'c00001';

  beforeAll(async () => {
    const clock = new ManualClock(new Date(bank.start + bank.days * DAY).toISOString());
    engine = await createEngine({ store: 'memory', log: { level: 'silent' } }, { clock });
    // Bulk history straight into the log (training reads the log); one customer through ingest so the online profile has them.
    await appendAll(engine.stores.eventLog, bank.events.filter((e) => e.customerId !== one));
    const mine = bank.events.filter((e) => e.customerId === one);
    const r = await engine.ingest(mine);
    expect(r.rejected).toBe(0);
    // The bulk history went around ingest: let the consumers apply it before asking for a
    // profile (on a loaded machine it takes longer than the profile's 2 s freshness wait).
    await engine.consumers.caughtUp();
    app = buildApp(engine, { logger: false, auth: { mode: 'none' } });
    await app.ready();
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await engine.close();
  });

  it('lists nothing before training; profiles carry only the rule-based stress state without champions', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(res.json()).toEqual({ models: [], serving: [] });
    const p = await app.inject({ method: 'GET', url: `/v1/customers/${one}/profile` });
    expect(p.statusCode).toBe(200);
    expect(p.json().scores).toMatchObject({ segment: null, churn: null, clv: null, prepayment: null, propensities: {}, stress: { state: 'current' } });
  });

  it('after training and promotion: models, cards, metrics, and scores in the profile', async () => {
    const run = await engine.trainModels({ models: ['propensity', 'churn', 'segments', 'clv'] });
    expect(run.trained.length).toBeGreaterThanOrEqual(4);
    const list = (await app.inject({ method: 'GET', url: '/v1/models?stage=candidate' })).json();
    expect(list.models.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(['propensity_savings@1', 'churn_cox@1', 'segments@1', 'clv@1']));
    expect(list.serving).toEqual([]);

    const detail = await app.inject({ method: 'GET', url: '/v1/models/propensity_savings@1' });
    expect(detail.statusCode).toBe(200);
    const d = detail.json();
    expect(d.card.intendedUse).toMatch(/savings/);
    // the fairness audit ran on the test slice; this bank has no customer records, so every row is in one 'unknown' group and nothing is compared
    expect(d.card.fairness).toMatch(/^Fairness audit on the \d+-row test slice .* over no attribute with two groups/);
    expect(d.card.fairnessAudit.rows).toBeGreaterThan(0);
    expect(d.card.fairnessAudit.attributes).toEqual([]);
    expect(d.metrics.auc).toBeGreaterThan(0.5);
    expect(d.hasDriftReference).toBe(true);
    expect(d).not.toHaveProperty('artefact');
    const card = await app.inject({ method: 'GET', url: '/v1/models/propensity_savings@1/card' });
    expect(card.headers['content-type']).toMatch(/text\/markdown/);
    expect(card.body).toContain('# Propensity to take up savings offers');

    for (const id of ['propensity_savings@1', 'churn_cox@1', 'segments@1', 'clv@1']) {
      const res = await app.inject({ method: 'POST', url: `/v1/models/${id}/promote` });
      expect(res.statusCode).toBe(200);
      expect(res.json().champion.stage).toBe('champion');
    }
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).json().serving).toEqual(['churn_cox@1', 'clv@1', 'propensity_savings@1', 'segments@1']);
    const p = (await app.inject({ method: 'GET', url: `/v1/customers/${one}/profile` })).json();
    expect(p.scores.propensities.savings.model).toBe('propensity_savings@1');
    expect(p.scores.propensities.savings.probability).toBeGreaterThan(0);
    expect(p.scores.churn.survival.map((s: { horizonDays: number }) => s.horizonDays)).toEqual([30, 90, 365]);
    expect(p.scores.segment.name).toEqual(expect.any(String));
    expect(p.scores.clv.probabilityAlive).toBeGreaterThan(0);
    expect(p.scores.stress.state).toEqual(expect.any(String));
  });

  it('promotion and rollback are served at once; errors name the problem', async () => {
    await engine.trainModels({ models: ['propensity'], seed: 2 });
    const refused = await app.inject({ method: 'POST', url: '/v1/models/propensity_savings@2/promote' });
    expect(refused.statusCode).toBe(422); // the same data again does not beat the champion on the same rows
    const promoted = await app.inject({ method: 'POST', url: `/v1/models/propensity_savings@2/promote?force=${encodeURIComponent('hot-swap check on the same data')}` });
    expect(promoted.json().retired.id).toBe('propensity_savings@1');
    let p = (await app.inject({ method: 'GET', url: `/v1/customers/${one}/profile` })).json();
    expect(p.scores.propensities.savings.model).toBe('propensity_savings@2');
    const back = await app.inject({ method: 'POST', url: '/v1/models/propensity_savings/rollback' });
    expect(back.statusCode).toBe(200);
    expect(back.json().champion.id).toBe('propensity_savings@1');
    p = (await app.inject({ method: 'GET', url: `/v1/customers/${one}/profile` })).json();
    expect(p.scores.propensities.savings.model).toBe('propensity_savings@1');

    const again = await app.inject({ method: 'POST', url: '/v1/models/propensity_savings/rollback' });
    expect(again.statusCode).toBe(422);
    expect(again.json().error.code ?? again.json().code).toBe('VALIDATION_FAILED');
    expect((await app.inject({ method: 'GET', url: '/v1/models/nope@3' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/models/nope@3/promote' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/models?stage=gold' })).statusCode).toBe(422);
  });

  it('every promotion and rollback is in the audit trail with its actor and before/after, and the chain verifies', async () => {
    const entries = (await app.inject({ method: 'GET', url: '/v1/audit?limit=1000&verify=true' })).json();
    const acts = entries.entries.filter((e: { action: string }) => e.action.startsWith('model.'));
    expect(acts.map((e: { action: string; target: string }) => `${e.action} ${e.target}`)).toEqual([
      'model.promote propensity_savings@1',
      'model.promote churn_cox@1',
      'model.promote segments@1',
      'model.promote clv@1',
      'model.promote propensity_savings@2',
      'model.rollback propensity_savings',
    ]);
    for (const e of acts) expect(e.actor).toBe('anonymous'); // auth is off in this app: the trail says so
    expect(acts[4]).toMatchObject({ before: { champion: 'propensity_savings@1' }, after: { champion: 'propensity_savings@2', forced: 'hot-swap check on the same data' } });
    expect(acts[5]).toMatchObject({ before: { champion: 'propensity_savings@2' }, after: { champion: 'propensity_savings@1' } });
    expect(entries.chain).toMatchObject({ ok: true });
  });

  it('drift: a check on demand reports per champion; GET /v1/drift returns it', async () => {
    const run = await app.inject({ method: 'POST', url: '/v1/drift/check' });
    expect(run.statusCode).toBe(200);
    const body = run.json();
    expect(body.reports.map((r: { modelId: string }) => r.modelId)).toContain('propensity_savings@1');
    const got = (await app.inject({ method: 'GET', url: '/v1/drift' })).json();
    expect(got.checkedAt).toBe(body.checkedAt);
    const detail = (await app.inject({ method: 'GET', url: '/v1/models/propensity_savings@1' })).json();
    expect(detail.drift.modelId).toBe('propensity_savings@1');
    expect(detail.drift.score.psi).toEqual(expect.any(Number));
  });
});
